// Language: Verilog 2001

`resetall
`timescale 1ns / 1ps
`default_nettype none

/*
 * AXI4 N-to-1 write arbiter (AW/W/B channels): S_COUNT slave ports share one master port.
 *
 * AW: round robin among the slaves presenting AWVALID (the search starts after the last granted
 * slave, so no slave starves), into a one-deep output register refilled in the cycle it is taken
 * (one AW per cycle, m_axi_awvalid never depends on m_axi_awready). The forwarded AWID is
 * {zeros, slave index (IDX_WIDTH bits), s_awid}.
 *
 * W: AXI4 has no WID, so the W bursts must leave in AW order. Every granted AW pushes its slave
 * index into a FIFO (W_FIFO_DEPTH entries); W beats are taken only from the slave at the head of
 * the FIFO, combinationally (one beat per cycle), and the entry is popped on its WLAST. A slave's
 * W beats presented before its AW was granted simply wait (AXI lets a master do that; it must not
 * wait for W to be accepted before AW, and nothing here makes it). No AW is granted while the FIFO
 * is full. A W burst may go out while its AW still sits in the output register: AWVALID is already
 * high then, which AXI allows. Every burst must end with WLAST after AWLEN+1 beats (AXI rule; the
 * arbiter follows WLAST, it does not count beats).
 *
 * B: routed combinationally by the index bits of BID (BID[S_ID_WIDTH +: IDX_WIDTH]) to that slave,
 * which gets the low S_ID_WIDTH bits back; m_axi_bready is that slave's BREADY. Bits of BID above
 * the index are ignored. A response whose index is not a slave (>= S_COUNT, only possible when
 * S_COUNT is not a power of 2 and the downstream slave corrupts BID) is accepted and dropped.
 */
module axi_wr_arb #
(
    // Number of slave ports (1..8)
    parameter S_COUNT = 4,
    // AXI data width in bits (64..512, power of 2)
    parameter DATA_WIDTH = 64,
    // ID width of each slave port (>= 1)
    parameter S_ID_WIDTH = 4,
    // ID width of the master port (>= S_ID_WIDTH + IDX_WIDTH, IDX_WIDTH = max(1, clog2(S_COUNT)))
    parameter M_ID_WIDTH = S_ID_WIDTH + 2,
    // AW granted ahead of their W data (power of 2, 2..256)
    parameter W_FIFO_DEPTH = 16
)
(
    input  wire                             clk,
    input  wire                             rst,

    /*
     * AXI4 slave write ports, flattened: port n uses bits [n*W +: W] of each signal
     */
    input  wire [S_COUNT*S_ID_WIDTH-1:0]    s_axi_awid,
    input  wire [S_COUNT*32-1:0]            s_axi_awaddr,
    input  wire [S_COUNT*8-1:0]             s_axi_awlen,
    input  wire [S_COUNT*3-1:0]             s_axi_awsize,
    input  wire [S_COUNT*2-1:0]             s_axi_awburst,
    input  wire [S_COUNT-1:0]               s_axi_awlock,
    input  wire [S_COUNT*4-1:0]             s_axi_awcache,
    input  wire [S_COUNT*3-1:0]             s_axi_awprot,
    input  wire [S_COUNT-1:0]               s_axi_awvalid,
    output wire [S_COUNT-1:0]               s_axi_awready,
    input  wire [S_COUNT*DATA_WIDTH-1:0]    s_axi_wdata,
    input  wire [S_COUNT*DATA_WIDTH/8-1:0]  s_axi_wstrb,
    input  wire [S_COUNT-1:0]               s_axi_wlast,
    input  wire [S_COUNT-1:0]               s_axi_wvalid,
    output wire [S_COUNT-1:0]               s_axi_wready,
    output wire [S_COUNT*S_ID_WIDTH-1:0]    s_axi_bid,
    output wire [S_COUNT*2-1:0]             s_axi_bresp,
    output wire [S_COUNT-1:0]               s_axi_bvalid,
    input  wire [S_COUNT-1:0]               s_axi_bready,

    /*
     * AXI4 master write port
     */
    output wire [M_ID_WIDTH-1:0]            m_axi_awid,
    output wire [31:0]                      m_axi_awaddr,
    output wire [7:0]                       m_axi_awlen,
    output wire [2:0]                       m_axi_awsize,
    output wire [1:0]                       m_axi_awburst,
    output wire                             m_axi_awlock,
    output wire [3:0]                       m_axi_awcache,
    output wire [2:0]                       m_axi_awprot,
    output wire                             m_axi_awvalid,
    input  wire                             m_axi_awready,
    output wire [DATA_WIDTH-1:0]            m_axi_wdata,
    output wire [DATA_WIDTH/8-1:0]          m_axi_wstrb,
    output wire                             m_axi_wlast,
    output wire                             m_axi_wvalid,
    input  wire                             m_axi_wready,
    input  wire [M_ID_WIDTH-1:0]            m_axi_bid,
    input  wire [1:0]                       m_axi_bresp,
    input  wire                             m_axi_bvalid,
    output wire                             m_axi_bready
);

localparam STRB_WIDTH = DATA_WIDTH/8;
// slave index field of the master ID; one bit even for a single slave, so that the field exists
localparam IDX_WIDTH = (S_COUNT > 1) ? $clog2(S_COUNT) : 1;
localparam FIFO_LOG2 = $clog2(W_FIFO_DEPTH);

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
    if (W_FIFO_DEPTH < 2 || W_FIFO_DEPTH > 256 || (W_FIFO_DEPTH & (W_FIFO_DEPTH-1)) != 0) begin
        $error("Error: W_FIFO_DEPTH must be a power of 2 in 2..256, got %0d (instance %m)", W_FIFO_DEPTH);
        $finish;
    end
end

/*
 * W order FIFO: slave index of every granted AW whose W burst has not ended
 */
reg [IDX_WIDTH-1:0]  fifo_mem[0:W_FIFO_DEPTH-1];
// one extra bit tells full from empty
reg [FIFO_LOG2:0]    fifo_wr_ptr_reg;
reg [FIFO_LOG2:0]    fifo_rd_ptr_reg;

wire                 fifo_empty = fifo_wr_ptr_reg == fifo_rd_ptr_reg;
wire                 fifo_full = fifo_wr_ptr_reg == (fifo_rd_ptr_reg ^ {1'b1, {FIFO_LOG2{1'b0}}});
wire [IDX_WIDTH-1:0] w_idx = fifo_mem[fifo_rd_ptr_reg[FIFO_LOG2-1:0]];

/*
 * AW: round-robin grant into a one-deep output register (axi_addr_arb), held off while the FIFO
 * is full (a pop in the same cycle is not counted, which keeps W off the AW path)
 */
wire                 aw_take;
wire [IDX_WIDTH-1:0] aw_grant_idx;

axi_addr_arb #(
    .S_COUNT(S_COUNT),
    .S_ID_WIDTH(S_ID_WIDTH),
    .M_ID_WIDTH(M_ID_WIDTH)
)
aw_arb_inst (
    .clk(clk),
    .rst(rst),
    .s_id(s_axi_awid),
    .s_addr(s_axi_awaddr),
    .s_len(s_axi_awlen),
    .s_size(s_axi_awsize),
    .s_burst(s_axi_awburst),
    .s_lock(s_axi_awlock),
    .s_cache(s_axi_awcache),
    .s_prot(s_axi_awprot),
    .s_valid(s_axi_awvalid),
    .s_ready(s_axi_awready),
    .m_id(m_axi_awid),
    .m_addr(m_axi_awaddr),
    .m_len(m_axi_awlen),
    .m_size(m_axi_awsize),
    .m_burst(m_axi_awburst),
    .m_lock(m_axi_awlock),
    .m_cache(m_axi_awcache),
    .m_prot(m_axi_awprot),
    .m_valid(m_axi_awvalid),
    .m_ready(m_axi_awready),
    .enable(!fifo_full),
    .take(aw_take),
    .take_idx(aw_grant_idx)
);

/*
 * W: from the slave at the FIFO head until WLAST
 */
wire                 w_active = !fifo_empty;
wire                 w_src_valid = s_axi_wvalid[w_idx];
wire                 w_pop = w_active && w_src_valid && m_axi_wready && s_axi_wlast[w_idx];

genvar n;
generate
    for (n = 0; n < S_COUNT; n = n + 1) begin : gen_w
        localparam [IDX_WIDTH-1:0] N = n;
        assign s_axi_wready[n] = w_active && w_idx == N && m_axi_wready;
    end
endgenerate

assign m_axi_wdata = s_axi_wdata[w_idx*DATA_WIDTH +: DATA_WIDTH];
assign m_axi_wstrb = s_axi_wstrb[w_idx*STRB_WIDTH +: STRB_WIDTH];
assign m_axi_wlast = s_axi_wlast[w_idx];
assign m_axi_wvalid = w_active && w_src_valid;

always @(posedge clk) begin
    if (aw_take) begin
        fifo_mem[fifo_wr_ptr_reg[FIFO_LOG2-1:0]] <= aw_grant_idx;
        fifo_wr_ptr_reg <= fifo_wr_ptr_reg + 1'b1;
    end
    if (w_pop) begin
        fifo_rd_ptr_reg <= fifo_rd_ptr_reg + 1'b1;
    end

    if (rst) begin
        fifo_wr_ptr_reg <= {FIFO_LOG2+1{1'b0}};
        fifo_rd_ptr_reg <= {FIFO_LOG2+1{1'b0}};
    end
end


/*
 * B: route by the index bits of BID
 */
wire [IDX_WIDTH-1:0] b_idx = m_axi_bid[S_ID_WIDTH +: IDX_WIDTH];
wire [S_COUNT-1:0]   b_hit;

generate
    for (n = 0; n < S_COUNT; n = n + 1) begin : gen_b
        localparam [IDX_WIDTH-1:0] N = n;
        assign b_hit[n] = b_idx == N;
        assign s_axi_bid[n*S_ID_WIDTH +: S_ID_WIDTH] = m_axi_bid[S_ID_WIDTH-1:0];
        assign s_axi_bresp[n*2 +: 2] = m_axi_bresp;
    end
endgenerate

assign s_axi_bvalid = m_axi_bvalid ? b_hit : {S_COUNT{1'b0}};
// an unmapped index (no hit) is accepted and dropped
assign m_axi_bready = |(b_hit & s_axi_bready) || !(|b_hit);

generate
    if (M_ID_WIDTH > S_ID_WIDTH + IDX_WIDTH) begin : gen_bid_unused
        wire unused_bid = &{1'b0, m_axi_bid[M_ID_WIDTH-1:S_ID_WIDTH+IDX_WIDTH]};
    end
endgenerate

endmodule

`resetall
