// A stand-in with nic_top's ports, for testing the co-simulation bridge without the real NIC.
// Registers (AXI4-Lite, 12-bit): 0x000 ID, 0x014 SCRATCH, 0x100 SRC, 0x108 DST, 0x10C LEN (bytes,
// 1..16 beats' worth), 0x110 HOLE (if nonzero, byte lane HOLE-1 is strobed off in every write beat),
// 0x104 doorbell: read LEN bytes at SRC in one INCR burst (SRC may be unaligned), write them to DST
// (DST must have SRC's alignment within a word) in one burst, then pulse irq[0] once per write
// response and irq[1] (if present) on a read or write error. 0x108 reads back DST; 0x118 STATUS
// {rresp, bresp, busy}.
`default_nettype none
module nic_stub #(
    parameter DATA_WIDTH = 64,
    parameter ID_WIDTH = 4,
    parameter IRQ_VECTORS = 2
) (
    input  wire                    clk,
    input  wire                    rst,
    // AXI4-Lite slave
    input  wire [11:0]             s_axil_awaddr,
    input  wire                    s_axil_awvalid,
    output wire                    s_axil_awready,
    input  wire [31:0]             s_axil_wdata,
    input  wire [3:0]              s_axil_wstrb,
    input  wire                    s_axil_wvalid,
    output wire                    s_axil_wready,
    output reg  [1:0]              s_axil_bresp,
    output reg                     s_axil_bvalid,
    input  wire                    s_axil_bready,
    input  wire [11:0]             s_axil_araddr,
    input  wire                    s_axil_arvalid,
    output wire                    s_axil_arready,
    output reg  [31:0]             s_axil_rdata,
    output reg  [1:0]              s_axil_rresp,
    output reg                     s_axil_rvalid,
    input  wire                    s_axil_rready,
    // AXI4 master
    output reg  [ID_WIDTH-1:0]     m_axi_awid,
    output reg  [31:0]             m_axi_awaddr,
    output reg  [7:0]              m_axi_awlen,
    output wire [2:0]              m_axi_awsize,
    output wire [1:0]              m_axi_awburst,
    output reg                     m_axi_awvalid,
    input  wire                    m_axi_awready,
    output reg  [DATA_WIDTH-1:0]   m_axi_wdata,
    output reg  [DATA_WIDTH/8-1:0] m_axi_wstrb,
    output reg                     m_axi_wlast,
    output reg                     m_axi_wvalid,
    input  wire                    m_axi_wready,
    input  wire [ID_WIDTH-1:0]     m_axi_bid,
    input  wire [1:0]              m_axi_bresp,
    input  wire                    m_axi_bvalid,
    output reg                     m_axi_bready,
    output reg  [ID_WIDTH-1:0]     m_axi_arid,
    output reg  [31:0]             m_axi_araddr,
    output reg  [7:0]              m_axi_arlen,
    output wire [2:0]              m_axi_arsize,
    output wire [1:0]              m_axi_arburst,
    output reg                     m_axi_arvalid,
    input  wire                    m_axi_arready,
    input  wire [ID_WIDTH-1:0]     m_axi_rid,
    input  wire [DATA_WIDTH-1:0]   m_axi_rdata,
    input  wire [1:0]              m_axi_rresp,
    input  wire                    m_axi_rlast,
    input  wire                    m_axi_rvalid,
    output reg                     m_axi_rready,
    output reg  [IRQ_VECTORS-1:0]  irq
);
    localparam DB = DATA_WIDTH / 8;
    localparam LG = $clog2(DB);

    assign m_axi_awsize = LG[2:0];
    assign m_axi_arsize = LG[2:0];
    assign m_axi_awburst = 2'b01;
    assign m_axi_arburst = 2'b01;

    reg [31:0] scratch, src, dst, len, hole;
    reg [1:0] last_rresp, last_bresp;

    // --- register slave -----------------------------------------------------------------------
    wire wr_go = s_axil_awvalid && s_axil_wvalid && !s_axil_bvalid;
    assign s_axil_awready = wr_go;
    assign s_axil_wready = wr_go;
    assign s_axil_arready = !s_axil_rvalid;

    localparam S_IDLE = 0, S_AR = 1, S_R = 2, S_AW = 3, S_W = 4, S_B = 5;
    reg [2:0] state;
    wire busy = state != S_IDLE;
    reg start;

    always @(posedge clk) begin
        start <= 1'b0;
        if (rst) begin
            s_axil_bvalid <= 1'b0;
            s_axil_rvalid <= 1'b0;
            scratch <= 0; src <= 0; dst <= 0; len <= DB; hole <= 0;
        end else begin
            if (s_axil_bvalid && s_axil_bready) s_axil_bvalid <= 1'b0;
            if (s_axil_rvalid && s_axil_rready) s_axil_rvalid <= 1'b0;
            if (wr_go) begin
                s_axil_bvalid <= 1'b1;
                s_axil_bresp <= 2'b00;
                case (s_axil_awaddr)
                    12'h014: scratch <= s_axil_wdata;
                    12'h100: src <= s_axil_wdata;
                    12'h104: if (busy) s_axil_bresp <= 2'b10; else start <= 1'b1;
                    12'h108: dst <= s_axil_wdata;
                    12'h10C: len <= s_axil_wdata;
                    12'h110: hole <= s_axil_wdata;
                    default: s_axil_bresp <= 2'b10;
                endcase
            end
            if (s_axil_arvalid && s_axil_arready) begin
                s_axil_rvalid <= 1'b1;
                s_axil_rresp <= 2'b00;
                case (s_axil_araddr)
                    12'h000: s_axil_rdata <= 32'h5A434E43;
                    12'h014: s_axil_rdata <= scratch;
                    12'h100: s_axil_rdata <= src;
                    12'h108: s_axil_rdata <= dst;
                    12'h10C: s_axil_rdata <= len;
                    12'h118: s_axil_rdata <= {27'd0, last_rresp, last_bresp, busy} ;
                    default: begin s_axil_rdata <= 32'hDEADBEEF; s_axil_rresp <= 2'b10; end
                endcase
            end
        end
    end

    // --- copy engine ----------------------------------------------------------------------------
    reg [DATA_WIDTH-1:0] buffer [0:15];
    reg [4:0] beat;
    wire [31:0] src_al = src & ~(DB - 1);
    wire [31:0] nbeats = (src + len - src_al + DB - 1) / DB;
    integer i;

    // strobe of write beat `beat`: the bytes inside [dst, dst+len), minus the hole lane
    reg [DB-1:0] strb;
    always @(*) begin
        for (i = 0; i < DB; i = i + 1) begin
            strb[i] = ((dst & ~(DB - 1)) + beat * DB + i >= dst) && ((dst & ~(DB - 1)) + beat * DB + i < dst + len)
                      && !(hole != 0 && hole - 1 == i);
        end
    end

    always @(posedge clk) begin
        irq <= {IRQ_VECTORS{1'b0}};
        if (rst) begin
            state <= S_IDLE;
            m_axi_arvalid <= 1'b0; m_axi_awvalid <= 1'b0; m_axi_wvalid <= 1'b0;
            m_axi_rready <= 1'b0; m_axi_bready <= 1'b0;
            m_axi_arid <= 0; m_axi_awid <= 0;
            last_rresp <= 0; last_bresp <= 0;
        end else begin
            case (state)
                S_IDLE: if (start) begin
                    m_axi_araddr <= src;
                    m_axi_arlen <= nbeats[7:0] - 8'd1;
                    m_axi_arvalid <= 1'b1;
                    m_axi_arid <= m_axi_arid + 1'b1;
                    state <= S_AR;
                end
                S_AR: if (m_axi_arready) begin
                    m_axi_arvalid <= 1'b0;
                    m_axi_rready <= 1'b1;
                    beat <= 0;
                    last_rresp <= 0;
                    state <= S_R;
                end
                S_R: if (m_axi_rvalid) begin
                    buffer[beat[3:0]] <= m_axi_rdata;
                    beat <= beat + 1'b1;
                    if (m_axi_rresp != 0) last_rresp <= m_axi_rresp;
                    if (m_axi_rlast) begin
                        m_axi_rready <= 1'b0;
                        m_axi_awaddr <= dst;
                        m_axi_awlen <= m_axi_arlen;
                        m_axi_awvalid <= 1'b1;
                        m_axi_awid <= m_axi_awid + 1'b1;
                        state <= S_AW;
                    end
                end
                S_AW: if (m_axi_awready) begin
                    m_axi_awvalid <= 1'b0;
                    beat <= 0;
                    state <= S_W;
                end
                S_W: begin
                    if (!m_axi_wvalid || m_axi_wready) begin
                        if (m_axi_wvalid && m_axi_wlast) begin
                            m_axi_wvalid <= 1'b0;
                            m_axi_bready <= 1'b1;
                            state <= S_B;
                        end else begin
                            m_axi_wdata <= buffer[beat[3:0]];
                            m_axi_wstrb <= strb;
                            m_axi_wlast <= beat == {1'b0, m_axi_awlen[3:0]};
                            m_axi_wvalid <= 1'b1;
                            beat <= beat + 1'b1;
                        end
                    end
                end
                S_B: if (m_axi_bvalid) begin
                    m_axi_bready <= 1'b0;
                    last_bresp <= m_axi_bresp;
                    irq[0] <= 1'b1;
                    if (IRQ_VECTORS > 1 && (m_axi_bresp != 0 || last_rresp != 0)) irq[IRQ_VECTORS > 1 ? 1 : 0] <= 1'b1;
                    state <= S_IDLE;
                end
                default: state <= S_IDLE;
            endcase
        end
    end
endmodule
`default_nettype wire
