// Language: Verilog 2001

`resetall
`timescale 1ns / 1ps
`default_nettype none

`include "zcnic_abi.vh"

/*
 * zcnic top level: AXI4-Lite register window, descriptor-driven copy engine (AXI4 master with
 * 32-bit addresses) and MSI-like interrupt pulses.
 *
 * Reset convention: rst is synchronous and active-high, for the whole design.
 */
module nic_top #
(
    // AXI4 DMA data width in bits: 64..512, power of 2
    parameter DATA_WIDTH = 64,
    // AXI4 DMA ID width (all transactions use ID 0)
    parameter ID_WIDTH = 4,
    // Largest burst in bytes: power of 2, >= 2*DATA_WIDTH/8, <= 4096 and <= 256 beats
    parameter CHUNK_BYTES = 512,
    // Number of interrupt vectors (vector 0 is MISC), 1..255
    parameter IRQ_VECTORS = 1
)
(
    input  wire                     clk,
    input  wire                     rst,

    /*
     * AXI4-Lite slave interface (register window)
     */
    input  wire [11:0]              s_axil_awaddr,
    input  wire [2:0]               s_axil_awprot,
    input  wire                     s_axil_awvalid,
    output wire                     s_axil_awready,
    input  wire [31:0]              s_axil_wdata,
    input  wire [3:0]               s_axil_wstrb,
    input  wire                     s_axil_wvalid,
    output wire                     s_axil_wready,
    output wire [1:0]               s_axil_bresp,
    output wire                     s_axil_bvalid,
    input  wire                     s_axil_bready,
    input  wire [11:0]              s_axil_araddr,
    input  wire [2:0]               s_axil_arprot,
    input  wire                     s_axil_arvalid,
    output wire                     s_axil_arready,
    output wire [31:0]              s_axil_rdata,
    output wire [1:0]               s_axil_rresp,
    output wire                     s_axil_rvalid,
    input  wire                     s_axil_rready,

    /*
     * AXI4 master interface (DMA, 32-bit addresses)
     */
    output wire [ID_WIDTH-1:0]      m_axi_awid,
    output wire [31:0]              m_axi_awaddr,
    output wire [7:0]               m_axi_awlen,
    output wire [2:0]               m_axi_awsize,
    output wire [1:0]               m_axi_awburst,
    output wire                     m_axi_awlock,
    output wire [3:0]               m_axi_awcache,
    output wire [2:0]               m_axi_awprot,
    output wire                     m_axi_awvalid,
    input  wire                     m_axi_awready,
    output wire [DATA_WIDTH-1:0]    m_axi_wdata,
    output wire [DATA_WIDTH/8-1:0]  m_axi_wstrb,
    output wire                     m_axi_wlast,
    output wire                     m_axi_wvalid,
    input  wire                     m_axi_wready,
    input  wire [ID_WIDTH-1:0]      m_axi_bid,
    input  wire [1:0]               m_axi_bresp,
    input  wire                     m_axi_bvalid,
    output wire                     m_axi_bready,
    output wire [ID_WIDTH-1:0]      m_axi_arid,
    output wire [31:0]              m_axi_araddr,
    output wire [7:0]               m_axi_arlen,
    output wire [2:0]               m_axi_arsize,
    output wire [1:0]               m_axi_arburst,
    output wire                     m_axi_arlock,
    output wire [3:0]               m_axi_arcache,
    output wire [2:0]               m_axi_arprot,
    output wire                     m_axi_arvalid,
    input  wire                     m_axi_arready,
    input  wire [ID_WIDTH-1:0]      m_axi_rid,
    input  wire [DATA_WIDTH-1:0]    m_axi_rdata,
    input  wire [1:0]               m_axi_rresp,
    input  wire                     m_axi_rlast,
    input  wire                     m_axi_rvalid,
    output wire                     m_axi_rready,

    /*
     * Interrupts: one-cycle pulse per message; vector 0 is ZCNIC_IRQ_VECTOR_MISC
     */
    output wire [IRQ_VECTORS-1:0]   irq
);

localparam DATA_BYTES = DATA_WIDTH/8;
localparam CHUNK_LOG2 = $clog2(CHUNK_BYTES);

// check configuration
initial begin
    if (DATA_WIDTH < 64 || DATA_WIDTH > 512 || (DATA_WIDTH & (DATA_WIDTH-1)) != 0) begin
        $error("Error: DATA_WIDTH must be a power of 2 in 64..512, got %0d (instance %m)", DATA_WIDTH);
        $finish;
    end
    if (ID_WIDTH < 1 || ID_WIDTH > 32) begin
        $error("Error: ID_WIDTH must be 1..32, got %0d (instance %m)", ID_WIDTH);
        $finish;
    end
    if (CHUNK_BYTES < 1 || (CHUNK_BYTES & (CHUNK_BYTES-1)) != 0) begin
        $error("Error: CHUNK_BYTES must be a power of 2, got %0d (instance %m)", CHUNK_BYTES);
        $finish;
    end
    if (CHUNK_BYTES < 2*DATA_BYTES || CHUNK_BYTES > 4096 || CHUNK_BYTES > 256*DATA_BYTES) begin
        $error("Error: CHUNK_BYTES must be >= 2*DATA_WIDTH/8, <= 4096 and <= 256 beats, got %0d (instance %m)",
            CHUNK_BYTES);
        $finish;
    end
    if (IRQ_VECTORS < 1 || IRQ_VECTORS > 255) begin
        $error("Error: IRQ_VECTORS must be 1..255, got %0d (instance %m)", IRQ_VECTORS);
        $finish;
    end
end

wire [11:0]                                   reg_wr_addr;
wire [31:0]                                   reg_wr_data;
wire [3:0]                                    reg_wr_strb;
wire                                          reg_wr_en;
wire [1:0]                                    reg_wr_resp;
wire [11:0]                                   reg_rd_addr;
wire                                          reg_rd_en;
wire [31:0]                                   reg_rd_data;
wire [1:0]                                    reg_rd_resp;

wire                                          soft_reset;
wire                                          copy_doorbell;
wire [31:0]                                   copy_desc_addr;
wire                                          copy_busy;
wire                                          copy_done;
wire                                          copy_error;
wire [`ZCNIC_COPY_STATUS_ERR_CODE_WIDTH-1:0]  copy_err_code;
wire [`ZCNIC_COPY_STATUS_ERR_RESP_WIDTH-1:0]  copy_err_resp;
wire [31:0]                                   copy_err_addr;
wire [31:0]                                   copy_completed;
wire [31:0]                                   copy_bytes;
wire                                          copy_done_evt;
wire                                          copy_error_evt;
wire                                          irq_misc;
wire                                          mac_loopback_unused;

// protection bits carry no meaning for the register window
wire unused_prot = &{1'b0, s_axil_awprot, s_axil_arprot, mac_loopback_unused};

genvar n;
generate
    for (n = 0; n < IRQ_VECTORS; n = n + 1) begin : gen_irq
        // only MISC is used so far; the other vectors never fire
        assign irq[n] = (n == `ZCNIC_IRQ_VECTOR_MISC) ? irq_misc : 1'b0;
    end
endgenerate

axil_reg_if #(
    .ADDR_WIDTH(12)
)
axil_reg_if_inst (
    .clk(clk),
    .rst(rst),

    /*
     * AXI4-Lite slave interface
     */
    .s_axil_awaddr(s_axil_awaddr),
    .s_axil_awvalid(s_axil_awvalid),
    .s_axil_awready(s_axil_awready),
    .s_axil_wdata(s_axil_wdata),
    .s_axil_wstrb(s_axil_wstrb),
    .s_axil_wvalid(s_axil_wvalid),
    .s_axil_wready(s_axil_wready),
    .s_axil_bresp(s_axil_bresp),
    .s_axil_bvalid(s_axil_bvalid),
    .s_axil_bready(s_axil_bready),
    .s_axil_araddr(s_axil_araddr),
    .s_axil_arvalid(s_axil_arvalid),
    .s_axil_arready(s_axil_arready),
    .s_axil_rdata(s_axil_rdata),
    .s_axil_rresp(s_axil_rresp),
    .s_axil_rvalid(s_axil_rvalid),
    .s_axil_rready(s_axil_rready),

    /*
     * Register interface
     */
    .reg_wr_addr(reg_wr_addr),
    .reg_wr_data(reg_wr_data),
    .reg_wr_strb(reg_wr_strb),
    .reg_wr_en(reg_wr_en),
    .reg_wr_resp(reg_wr_resp),
    .reg_rd_addr(reg_rd_addr),
    .reg_rd_en(reg_rd_en),
    .reg_rd_data(reg_rd_data),
    .reg_rd_resp(reg_rd_resp)
);

nic_regs #(
    .DATA_BYTES(DATA_BYTES),
    .IRQ_VECTORS(IRQ_VECTORS),
    .CHUNK_LOG2(CHUNK_LOG2)
)
nic_regs_inst (
    .clk(clk),
    .rst(rst),

    /*
     * Register interface
     */
    .reg_wr_addr(reg_wr_addr),
    .reg_wr_data(reg_wr_data),
    .reg_wr_strb(reg_wr_strb),
    .reg_wr_en(reg_wr_en),
    .reg_wr_resp(reg_wr_resp),
    .reg_rd_addr(reg_rd_addr),
    .reg_rd_en(reg_rd_en),
    .reg_rd_data(reg_rd_data),
    .reg_rd_resp(reg_rd_resp),

    /*
     * Copy engine control
     */
    .soft_reset(soft_reset),
    .copy_doorbell(copy_doorbell),
    .copy_desc_addr(copy_desc_addr),

    /*
     * Copy engine status
     */
    .copy_busy(copy_busy),
    .copy_done(copy_done),
    .copy_error(copy_error),
    .copy_err_code(copy_err_code),
    .copy_err_resp(copy_err_resp),
    .copy_err_addr(copy_err_addr),
    .copy_completed(copy_completed),
    .copy_bytes(copy_bytes),
    .copy_done_evt(copy_done_evt),
    .copy_error_evt(copy_error_evt),
    .tx_err_queues(16'd0),
    .rx_err_queues(16'd0),
    .tx_err_evt(1'b0),
    .rx_err_evt(1'b0),
    .mac_loopback(mac_loopback_unused),

    /*
     * Interrupt
     */
    .irq_misc(irq_misc)
);

copy_engine #(
    .DATA_WIDTH(DATA_WIDTH),
    .ID_WIDTH(ID_WIDTH),
    .CHUNK_BYTES(CHUNK_BYTES)
)
copy_engine_inst (
    .clk(clk),
    .rst(rst),

    /*
     * Control
     */
    .soft_reset(soft_reset),
    .doorbell(copy_doorbell),
    .desc_addr(copy_desc_addr),

    /*
     * Status
     */
    .busy(copy_busy),
    .done(copy_done),
    .error(copy_error),
    .err_code(copy_err_code),
    .err_resp(copy_err_resp),
    .err_addr(copy_err_addr),
    .completed(copy_completed),
    .bytes(copy_bytes),
    .done_evt(copy_done_evt),
    .error_evt(copy_error_evt),

    /*
     * AXI4 master interface
     */
    .m_axi_awid(m_axi_awid),
    .m_axi_awaddr(m_axi_awaddr),
    .m_axi_awlen(m_axi_awlen),
    .m_axi_awsize(m_axi_awsize),
    .m_axi_awburst(m_axi_awburst),
    .m_axi_awlock(m_axi_awlock),
    .m_axi_awcache(m_axi_awcache),
    .m_axi_awprot(m_axi_awprot),
    .m_axi_awvalid(m_axi_awvalid),
    .m_axi_awready(m_axi_awready),
    .m_axi_wdata(m_axi_wdata),
    .m_axi_wstrb(m_axi_wstrb),
    .m_axi_wlast(m_axi_wlast),
    .m_axi_wvalid(m_axi_wvalid),
    .m_axi_wready(m_axi_wready),
    .m_axi_bid(m_axi_bid),
    .m_axi_bresp(m_axi_bresp),
    .m_axi_bvalid(m_axi_bvalid),
    .m_axi_bready(m_axi_bready),
    .m_axi_arid(m_axi_arid),
    .m_axi_araddr(m_axi_araddr),
    .m_axi_arlen(m_axi_arlen),
    .m_axi_arsize(m_axi_arsize),
    .m_axi_arburst(m_axi_arburst),
    .m_axi_arlock(m_axi_arlock),
    .m_axi_arcache(m_axi_arcache),
    .m_axi_arprot(m_axi_arprot),
    .m_axi_arvalid(m_axi_arvalid),
    .m_axi_arready(m_axi_arready),
    .m_axi_rid(m_axi_rid),
    .m_axi_rdata(m_axi_rdata),
    .m_axi_rresp(m_axi_rresp),
    .m_axi_rlast(m_axi_rlast),
    .m_axi_rvalid(m_axi_rvalid),
    .m_axi_rready(m_axi_rready)
);

endmodule

`resetall
