// Language: Verilog 2001

`resetall
`timescale 1ns / 1ps
`default_nettype none

/*
 * AXI4 N-to-1 read arbiter (AR/R channels): S_COUNT slave ports share one master port.
 *
 * AR: round robin among the slaves presenting ARVALID (the search starts after the last granted
 * slave, so a saturating slave cannot starve the others). The granted request goes to a one-deep
 * output register, refilled in the cycle it is taken, so back-to-back ARs still pass at one per
 * cycle and m_axi_arvalid never depends on m_axi_arready. The forwarded ARID is
 * {zeros, slave index (IDX_WIDTH bits), s_arid}.
 *
 * R: routed combinationally by the index bits of RID (RID[S_ID_WIDTH +: IDX_WIDTH]) to that slave,
 * which gets the low S_ID_WIDTH bits back as its RID; m_axi_rready is that slave's RREADY, so a
 * streaming slave takes one beat per cycle. Bits of RID above the index are ignored. Any number of
 * reads from any slaves may be outstanding: each slave sees its own responses in the order the
 * downstream slave returns them (in order per ID, as AXI requires).
 *
 * A beat whose index is not a slave (>= S_COUNT, only possible when S_COUNT is not a power of 2
 * and the downstream slave corrupts RID) is accepted and dropped, so the bus cannot lock up.
 */
module axi_rd_arb #
(
    // Number of slave ports (1..8)
    parameter S_COUNT = 4,
    // AXI data width in bits (64..512, power of 2)
    parameter DATA_WIDTH = 64,
    // ID width of each slave port (>= 1)
    parameter S_ID_WIDTH = 4,
    // ID width of the master port (>= S_ID_WIDTH + IDX_WIDTH, IDX_WIDTH = max(1, clog2(S_COUNT)))
    parameter M_ID_WIDTH = S_ID_WIDTH + 2
)
(
    input  wire                           clk,
    input  wire                           rst,

    /*
     * AXI4 slave read ports, flattened: port n uses bits [n*W +: W] of each signal
     */
    input  wire [S_COUNT*S_ID_WIDTH-1:0]  s_axi_arid,
    input  wire [S_COUNT*32-1:0]          s_axi_araddr,
    input  wire [S_COUNT*8-1:0]           s_axi_arlen,
    input  wire [S_COUNT*3-1:0]           s_axi_arsize,
    input  wire [S_COUNT*2-1:0]           s_axi_arburst,
    input  wire [S_COUNT-1:0]             s_axi_arlock,
    input  wire [S_COUNT*4-1:0]           s_axi_arcache,
    input  wire [S_COUNT*3-1:0]           s_axi_arprot,
    input  wire [S_COUNT-1:0]             s_axi_arvalid,
    output wire [S_COUNT-1:0]             s_axi_arready,
    output wire [S_COUNT*S_ID_WIDTH-1:0]  s_axi_rid,
    output wire [S_COUNT*DATA_WIDTH-1:0]  s_axi_rdata,
    output wire [S_COUNT*2-1:0]           s_axi_rresp,
    output wire [S_COUNT-1:0]             s_axi_rlast,
    output wire [S_COUNT-1:0]             s_axi_rvalid,
    input  wire [S_COUNT-1:0]             s_axi_rready,

    /*
     * AXI4 master read port
     */
    output wire [M_ID_WIDTH-1:0]          m_axi_arid,
    output wire [31:0]                    m_axi_araddr,
    output wire [7:0]                     m_axi_arlen,
    output wire [2:0]                     m_axi_arsize,
    output wire [1:0]                     m_axi_arburst,
    output wire                           m_axi_arlock,
    output wire [3:0]                     m_axi_arcache,
    output wire [2:0]                     m_axi_arprot,
    output wire                           m_axi_arvalid,
    input  wire                           m_axi_arready,
    input  wire [M_ID_WIDTH-1:0]          m_axi_rid,
    input  wire [DATA_WIDTH-1:0]          m_axi_rdata,
    input  wire [1:0]                     m_axi_rresp,
    input  wire                           m_axi_rlast,
    input  wire                           m_axi_rvalid,
    output wire                           m_axi_rready
);

// slave index field of the master ID; one bit even for a single slave, so that the field exists
localparam IDX_WIDTH = (S_COUNT > 1) ? $clog2(S_COUNT) : 1;

// check configuration
initial begin
    if (S_COUNT < 1 || S_COUNT > 8) begin
        $error("Error: S_COUNT must be 1..8, got %0d (instance %m)", S_COUNT);
        $finish;
    end
    if (DATA_WIDTH < 64 || DATA_WIDTH > 512 || (DATA_WIDTH & (DATA_WIDTH-1)) != 0) begin
        $error("Error: DATA_WIDTH must be a power of 2 in 64..512, got %0d (instance %m)", DATA_WIDTH);
        $finish;
    end
    if (S_ID_WIDTH < 1) begin
        $error("Error: S_ID_WIDTH must be at least 1, got %0d (instance %m)", S_ID_WIDTH);
        $finish;
    end
    if (M_ID_WIDTH < S_ID_WIDTH + IDX_WIDTH) begin
        $error("Error: M_ID_WIDTH must be at least S_ID_WIDTH + %0d = %0d, got %0d (instance %m)",
            IDX_WIDTH, S_ID_WIDTH + IDX_WIDTH, M_ID_WIDTH);
        $finish;
    end
end

/*
 * AR: round-robin grant into a one-deep output register (axi_addr_arb)
 */
wire                 ar_take;
wire [IDX_WIDTH-1:0] ar_take_idx;
wire unused_ar_take = &{1'b0, ar_take, ar_take_idx};

axi_addr_arb #(
    .S_COUNT(S_COUNT),
    .S_ID_WIDTH(S_ID_WIDTH),
    .M_ID_WIDTH(M_ID_WIDTH)
)
ar_arb_inst (
    .clk(clk),
    .rst(rst),
    .s_id(s_axi_arid),
    .s_addr(s_axi_araddr),
    .s_len(s_axi_arlen),
    .s_size(s_axi_arsize),
    .s_burst(s_axi_arburst),
    .s_lock(s_axi_arlock),
    .s_cache(s_axi_arcache),
    .s_prot(s_axi_arprot),
    .s_valid(s_axi_arvalid),
    .s_ready(s_axi_arready),
    .m_id(m_axi_arid),
    .m_addr(m_axi_araddr),
    .m_len(m_axi_arlen),
    .m_size(m_axi_arsize),
    .m_burst(m_axi_arburst),
    .m_lock(m_axi_arlock),
    .m_cache(m_axi_arcache),
    .m_prot(m_axi_arprot),
    .m_valid(m_axi_arvalid),
    .m_ready(m_axi_arready),
    .enable(1'b1),
    .take(ar_take),
    .take_idx(ar_take_idx)
);

/*
 * R: route by the index bits of RID
 */
wire [IDX_WIDTH-1:0] r_idx = m_axi_rid[S_ID_WIDTH +: IDX_WIDTH];
wire [S_COUNT-1:0]   r_hit;

genvar n;
generate
    for (n = 0; n < S_COUNT; n = n + 1) begin : gen_r
        localparam [IDX_WIDTH-1:0] N = n;
        assign r_hit[n] = r_idx == N;
        assign s_axi_rid[n*S_ID_WIDTH +: S_ID_WIDTH] = m_axi_rid[S_ID_WIDTH-1:0];
        assign s_axi_rdata[n*DATA_WIDTH +: DATA_WIDTH] = m_axi_rdata;
        assign s_axi_rresp[n*2 +: 2] = m_axi_rresp;
        assign s_axi_rlast[n] = m_axi_rlast;
    end
endgenerate

assign s_axi_rvalid = m_axi_rvalid ? r_hit : {S_COUNT{1'b0}};
// an unmapped index (no hit) is accepted and dropped
assign m_axi_rready = |(r_hit & s_axi_rready) || !(|r_hit);

generate
    if (M_ID_WIDTH > S_ID_WIDTH + IDX_WIDTH) begin : gen_rid_unused
        wire unused_rid = &{1'b0, m_axi_rid[M_ID_WIDTH-1:S_ID_WIDTH+IDX_WIDTH]};
    end
endgenerate

endmodule

`resetall
