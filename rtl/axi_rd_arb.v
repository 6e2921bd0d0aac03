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
localparam [S_COUNT-1:0] ONE = 1;

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
 * AR: round-robin grant into a one-deep output register
 */
reg [S_COUNT-1:0]    last_oh_reg;  // one-hot: the slave granted last

// requests above the last granted slave first, then from slave 0 (wrap around)
wire [S_COUNT-1:0]   ar_above = s_axi_arvalid & ~(last_oh_reg | (last_oh_reg - ONE));
wire [S_COUNT-1:0]   ar_pick = (|ar_above) ? ar_above : s_axi_arvalid;
// lowest set bit
wire [S_COUNT-1:0]   ar_grant_oh = ar_pick & (~ar_pick + ONE);

reg [IDX_WIDTH-1:0]  ar_grant_idx;
integer i;
always @* begin
    ar_grant_idx = {IDX_WIDTH{1'b0}};
    for (i = 0; i < S_COUNT; i = i + 1) begin
        if (ar_grant_oh[i]) begin
            ar_grant_idx = i[IDX_WIDTH-1:0];
        end
    end
end

reg                  arvalid_reg;
reg [M_ID_WIDTH-1:0] arid_reg;
reg [31:0]           araddr_reg;
reg [7:0]            arlen_reg;
reg [2:0]            arsize_reg;
reg [1:0]            arburst_reg;
reg                  arlock_reg;
reg [3:0]            arcache_reg;
reg [2:0]            arprot_reg;

// the register takes a new request when empty or being emptied this cycle
wire                 ar_load = !arvalid_reg || m_axi_arready;
wire                 ar_take = ar_load && (|s_axi_arvalid);

assign s_axi_arready = ar_load ? ar_grant_oh : {S_COUNT{1'b0}};

// {zeros, index, slave ID}
reg [M_ID_WIDTH-1:0] ar_id;
always @* begin
    ar_id = {M_ID_WIDTH{1'b0}};
    ar_id[S_ID_WIDTH-1:0] = s_axi_arid[ar_grant_idx*S_ID_WIDTH +: S_ID_WIDTH];
    ar_id[S_ID_WIDTH +: IDX_WIDTH] = ar_grant_idx;
end

always @(posedge clk) begin
    if (ar_take) begin
        last_oh_reg <= ar_grant_oh;
        arid_reg <= ar_id;
        araddr_reg <= s_axi_araddr[ar_grant_idx*32 +: 32];
        arlen_reg <= s_axi_arlen[ar_grant_idx*8 +: 8];
        arsize_reg <= s_axi_arsize[ar_grant_idx*3 +: 3];
        arburst_reg <= s_axi_arburst[ar_grant_idx*2 +: 2];
        arlock_reg <= s_axi_arlock[ar_grant_idx];
        arcache_reg <= s_axi_arcache[ar_grant_idx*4 +: 4];
        arprot_reg <= s_axi_arprot[ar_grant_idx*3 +: 3];
    end
    if (ar_load) begin
        arvalid_reg <= |s_axi_arvalid;
    end

    if (rst) begin
        last_oh_reg <= ONE;
        arvalid_reg <= 1'b0;
    end
end

assign m_axi_arid = arid_reg;
assign m_axi_araddr = araddr_reg;
assign m_axi_arlen = arlen_reg;
assign m_axi_arsize = arsize_reg;
assign m_axi_arburst = arburst_reg;
assign m_axi_arlock = arlock_reg;
assign m_axi_arcache = arcache_reg;
assign m_axi_arprot = arprot_reg;
assign m_axi_arvalid = arvalid_reg;

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
