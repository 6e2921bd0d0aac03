// Language: Verilog 2001

`resetall
`timescale 1ns / 1ps
`default_nettype none

`include "zcnic_abi.vh"

/*
 * zcnic global and copy-engine registers (src/abi/regs.ts; statistics are nic_stats, queue
 * registers live in nic_tx/nic_rx).
 *
 * Sits behind axil_reg_if: reg_wr_en / reg_rd_en are one-cycle strobes and the response is
 * combinational in that cycle. Unmapped offsets answer DECERR (reads return 0, writes have no
 * effect); writes to read-only registers are ignored with OKAY. Copy engine status lives in the
 * engine; this block only decodes it.
 */
module nic_regs #
(
    // DMA data path width in bytes (PARAMS.DATA_BYTES)
    parameter DATA_BYTES = 8,
    // Number of interrupt vectors (PARAMS.IRQ_VECTORS)
    parameter IRQ_VECTORS = 1,
    // log2 of the copy chunk in bytes (PARAMS.CHUNK_LOG2)
    parameter CHUNK_LOG2 = 9,
    // queue counts and limits (PARAMS2)
    parameter TX_QUEUES = 4,
    parameter RX_QUEUES = 4,
    parameter MAX_RING_LOG2 = 10,
    parameter MAX_FRAGS = 32
)
(
    input  wire                                          clk,
    input  wire                                          rst,

    /*
     * Register interface (from axil_reg_if)
     */
    input  wire [11:0]                                   reg_wr_addr,
    input  wire [31:0]                                   reg_wr_data,
    input  wire [3:0]                                    reg_wr_strb,
    input  wire                                          reg_wr_en,
    output wire [1:0]                                    reg_wr_resp,
    input  wire [11:0]                                   reg_rd_addr,
    input  wire                                          reg_rd_en,
    output wire [31:0]                                   reg_rd_data,
    output wire [1:0]                                    reg_rd_resp,

    /*
     * Copy engine control
     */
    output wire                                          soft_reset,
    output wire                                          copy_doorbell,
    output wire [31:0]                                   copy_desc_addr,

    /*
     * Copy engine status
     */
    input  wire                                          copy_busy,
    input  wire                                          copy_done,
    input  wire                                          copy_error,
    input  wire [`ZCNIC_COPY_STATUS_ERR_CODE_WIDTH-1:0]  copy_err_code,
    input  wire [`ZCNIC_COPY_STATUS_ERR_RESP_WIDTH-1:0]  copy_err_resp,
    input  wire [31:0]                                   copy_err_addr,
    input  wire [31:0]                                   copy_completed,
    input  wire [31:0]                                   copy_bytes,
    input  wire                                          copy_done_evt,
    input  wire                                          copy_error_evt,

    /*
     * Queues: error state (bit q: queue q) and entry into it (one-cycle pulses)
     */
    input  wire [15:0]                                   tx_err_queues,
    input  wire [15:0]                                   rx_err_queues,
    input  wire                                          tx_err_evt,
    input  wire                                          rx_err_evt,

    /*
     * MAC control
     */
    output wire                                          mac_loopback,

    /*
     * Interrupt vector 0 (MISC): one-cycle pulse per message
     */
    output wire                                          irq_misc
);

localparam [31:0] PARAMS_VALUE =
    (DATA_BYTES << `ZCNIC_PARAMS_DATA_BYTES_LSB) |
    (IRQ_VECTORS << `ZCNIC_PARAMS_IRQ_VECTORS_LSB) |
    (CHUNK_LOG2 << `ZCNIC_PARAMS_CHUNK_LOG2_LSB);

localparam [31:0] PARAMS2_VALUE =
    (TX_QUEUES << `ZCNIC_PARAMS2_TX_QUEUES_LSB) |
    (RX_QUEUES << `ZCNIC_PARAMS2_RX_QUEUES_LSB) |
    (MAX_RING_LOG2 << `ZCNIC_PARAMS2_MAX_RING_LOG2_LSB) |
    (MAX_FRAGS << `ZCNIC_PARAMS2_MAX_FRAGS_LSB);

localparam [31:0] FEATURES_VALUE =
    `ZCNIC_FEATURE_COPY_ENGINE | `ZCNIC_FEATURE_TX_QUEUES | `ZCNIC_FEATURE_RX_QUEUES |
    `ZCNIC_FEATURE_TX_SG | `ZCNIC_FEATURE_TX_CSUM | `ZCNIC_FEATURE_RX_CSUM |
    `ZCNIC_FEATURE_RX_HDR_SPLIT | `ZCNIC_FEATURE_RX_STEER | `ZCNIC_FEATURE_LOOPBACK |
    `ZCNIC_FEATURE_STATS;

localparam [31:0] IRQ_DONE_BIT = 32'd1 << `ZCNIC_IRQ_STATUS_COPY_DONE_LSB;
localparam [31:0] IRQ_ERROR_BIT = 32'd1 << `ZCNIC_IRQ_STATUS_COPY_ERROR_LSB;
localparam [31:0] IRQ_TXQ_BIT = 32'd1 << `ZCNIC_IRQ_STATUS_TXQ_ERROR_LSB;
localparam [31:0] IRQ_RXQ_BIT = 32'd1 << `ZCNIC_IRQ_STATUS_RXQ_ERROR_LSB;
// implemented bits of IRQ_STATUS / IRQ_MASK; the rest read 0
localparam [31:0] IRQ_BITS = IRQ_DONE_BIT | IRQ_ERROR_BIT | IRQ_TXQ_BIT | IRQ_RXQ_BIT;
localparam [31:0] LOOPBACK_BIT = 32'd1 << `ZCNIC_MAC_CTRL_LOOPBACK_LSB;

// check configuration
initial begin
    if (TX_QUEUES < 1 || TX_QUEUES > 16 || RX_QUEUES < 1 || RX_QUEUES > 16) begin
        $error("Error: TX_QUEUES and RX_QUEUES must be 1..16, got %0d and %0d (instance %m)",
            TX_QUEUES, RX_QUEUES);
        $finish;
    end
    if (MAX_RING_LOG2 < 4 || MAX_RING_LOG2 > 15 || MAX_FRAGS < 1 || MAX_FRAGS > 255) begin
        $error("Error: MAX_RING_LOG2 must be 4..15 and MAX_FRAGS 1..255, got %0d and %0d (instance %m)",
            MAX_RING_LOG2, MAX_FRAGS);
        $finish;
    end
end
localparam [31:0] SOFT_RESET_BIT = 32'd1 << `ZCNIC_CTRL_SOFT_RESET_LSB;
// COPY_DESC_ADDR must be aligned to the descriptor size
localparam [31:0] DESC_ALIGN_MASK = `ZCNIC_DESC_BYTES - 1;

// expand the 4 byte strobes to a 32-bit mask
function [31:0] strb_mask(input [3:0] strb);
    integer i;
    begin
        for (i = 0; i < 4; i = i + 1) begin
            strb_mask[i*8 +: 8] = {8{strb[i]}};
        end
    end
endfunction

reg [31:0] scratch_reg, scratch_next;
reg [31:0] irq_mask_reg, irq_mask_next;
reg [31:0] irq_status_reg, irq_status_next;
reg [31:0] desc_addr_reg, desc_addr_next;
reg [31:0] mac_ctrl_reg, mac_ctrl_next;
reg        soft_reset_reg, soft_reset_next;
reg        irq_reg, irq_next;

wire [11:0] wr_off = {reg_wr_addr[11:2], 2'b00};
wire [11:0] rd_off = {reg_rd_addr[11:2], 2'b00};
wire [31:0] wr_mask = strb_mask(reg_wr_strb);

wire [31:0] desc_addr_merged = (desc_addr_reg & ~wr_mask) | (reg_wr_data & wr_mask);

wire wr_sel_scratch = wr_off == `ZCNIC_REG_SCRATCH;
wire wr_sel_ctrl = wr_off == `ZCNIC_REG_CTRL;
wire wr_sel_irq_status = wr_off == `ZCNIC_REG_IRQ_STATUS;
wire wr_sel_irq_mask = wr_off == `ZCNIC_REG_IRQ_MASK;
wire wr_sel_desc_addr = wr_off == `ZCNIC_REG_COPY_DESC_ADDR;
wire wr_sel_doorbell = wr_off == `ZCNIC_REG_COPY_DOORBELL;
wire wr_sel_mac_ctrl = wr_off == `ZCNIC_REG_MAC_CTRL;
wire wr_sel_ro =
    wr_off == `ZCNIC_REG_ID ||
    wr_off == `ZCNIC_REG_VERSION ||
    wr_off == `ZCNIC_REG_FEATURES ||
    wr_off == `ZCNIC_REG_PARAMS ||
    wr_off == `ZCNIC_REG_PARAMS2 ||
    wr_off == `ZCNIC_REG_QUEUE_ERRORS ||
    wr_off == `ZCNIC_REG_ABI_HASH ||
    wr_off == `ZCNIC_REG_COPY_STATUS ||
    wr_off == `ZCNIC_REG_COPY_ERR_ADDR ||
    wr_off == `ZCNIC_REG_COPY_COMPLETED ||
    wr_off == `ZCNIC_REG_COPY_BYTES;
wire wr_mapped = wr_sel_scratch || wr_sel_ctrl || wr_sel_irq_status || wr_sel_irq_mask ||
    wr_sel_desc_addr || wr_sel_doorbell || wr_sel_mac_ctrl || wr_sel_ro;

wire desc_addr_bad = (desc_addr_merged & DESC_ALIGN_MASK) != 32'd0;

assign reg_wr_resp =
    !wr_mapped ? `ZCNIC_AXI_RESP_DECERR :
    (wr_sel_desc_addr && desc_addr_bad) ? `ZCNIC_AXI_RESP_SLVERR :
    (wr_sel_doorbell && copy_busy) ? `ZCNIC_AXI_RESP_SLVERR :
    `ZCNIC_AXI_RESP_OKAY;

assign soft_reset = soft_reset_reg;
// the engine latches COPY_DESC_ADDR with the doorbell, so later writes do not disturb a copy
assign copy_doorbell = reg_wr_en && wr_sel_doorbell && !copy_busy;
assign copy_desc_addr = desc_addr_reg;
assign irq_misc = irq_reg;
assign mac_loopback = (mac_ctrl_reg & LOOPBACK_BIT) != 32'd0;

wire [31:0] irq_set = (copy_done_evt ? IRQ_DONE_BIT : 32'd0) | (copy_error_evt ? IRQ_ERROR_BIT : 32'd0) |
    (tx_err_evt ? IRQ_TXQ_BIT : 32'd0) | (rx_err_evt ? IRQ_RXQ_BIT : 32'd0);
wire [31:0] queue_errors = ({16'd0, tx_err_queues} << `ZCNIC_QUEUE_ERRORS_TX_LSB) |
    ({16'd0, rx_err_queues} << `ZCNIC_QUEUE_ERRORS_RX_LSB);
wire [31:0] irq_clr = (reg_wr_en && wr_sel_irq_status) ? (reg_wr_data & wr_mask & IRQ_BITS) : 32'd0;

wire [31:0] copy_status =
    ({31'd0, copy_busy} << `ZCNIC_COPY_STATUS_BUSY_LSB) |
    ({31'd0, copy_done} << `ZCNIC_COPY_STATUS_DONE_LSB) |
    ({31'd0, copy_error} << `ZCNIC_COPY_STATUS_ERROR_LSB) |
    ({{(32-`ZCNIC_COPY_STATUS_ERR_CODE_WIDTH){1'b0}}, copy_err_code} << `ZCNIC_COPY_STATUS_ERR_CODE_LSB) |
    ({{(32-`ZCNIC_COPY_STATUS_ERR_RESP_WIDTH){1'b0}}, copy_err_resp} << `ZCNIC_COPY_STATUS_ERR_RESP_LSB);

reg [31:0] rd_data;
reg [1:0]  rd_resp;

assign reg_rd_data = rd_data;
assign reg_rd_resp = rd_resp;

// registers are whole words (byte lanes come from the strobes) and reads have no side effects
wire unused_reg = &{1'b0, reg_wr_addr[1:0], reg_rd_addr[1:0], reg_rd_en};

always @* begin
    rd_data = 32'd0;
    rd_resp = `ZCNIC_AXI_RESP_OKAY;
    case (rd_off)
        `ZCNIC_REG_ID:             rd_data = `ZCNIC_ID;
        `ZCNIC_REG_VERSION:        rd_data = `ZCNIC_VERSION;
        `ZCNIC_REG_FEATURES:       rd_data = FEATURES_VALUE;
        `ZCNIC_REG_PARAMS:         rd_data = PARAMS_VALUE;
        `ZCNIC_REG_PARAMS2:        rd_data = PARAMS2_VALUE;
        `ZCNIC_REG_MAC_CTRL:       rd_data = mac_ctrl_reg;
        `ZCNIC_REG_QUEUE_ERRORS:   rd_data = queue_errors;
        `ZCNIC_REG_ABI_HASH:       rd_data = `ZCNIC_ABI_HASH;
        `ZCNIC_REG_SCRATCH:        rd_data = scratch_reg;
        `ZCNIC_REG_CTRL:           rd_data = 32'd0; // SOFT_RESET is self-clearing
        `ZCNIC_REG_IRQ_STATUS:     rd_data = irq_status_reg;
        `ZCNIC_REG_IRQ_MASK:       rd_data = irq_mask_reg;
        `ZCNIC_REG_COPY_DESC_ADDR: rd_data = desc_addr_reg;
        `ZCNIC_REG_COPY_DOORBELL:  rd_data = 32'd0; // write-only
        `ZCNIC_REG_COPY_STATUS:    rd_data = copy_status;
        `ZCNIC_REG_COPY_ERR_ADDR:  rd_data = copy_err_addr;
        `ZCNIC_REG_COPY_COMPLETED: rd_data = copy_completed;
        `ZCNIC_REG_COPY_BYTES:     rd_data = copy_bytes;
        default:                   rd_resp = `ZCNIC_AXI_RESP_DECERR;
    endcase
end

always @* begin
    scratch_next = scratch_reg;
    irq_mask_next = irq_mask_reg;
    desc_addr_next = desc_addr_reg;
    mac_ctrl_next = mac_ctrl_reg;
    soft_reset_next = 1'b0;

    if (reg_wr_en) begin
        if (wr_sel_scratch) begin
            scratch_next = (scratch_reg & ~wr_mask) | (reg_wr_data & wr_mask);
        end
        if (wr_sel_irq_mask) begin
            irq_mask_next = ((irq_mask_reg & ~wr_mask) | (reg_wr_data & wr_mask)) & IRQ_BITS;
        end
        if (wr_sel_mac_ctrl) begin
            mac_ctrl_next = ((mac_ctrl_reg & ~wr_mask) | (reg_wr_data & wr_mask)) & LOOPBACK_BIT;
        end
        if (wr_sel_desc_addr && !desc_addr_bad) begin
            desc_addr_next = desc_addr_merged;
        end
        if (wr_sel_ctrl) begin
            soft_reset_next = (reg_wr_data & wr_mask & SOFT_RESET_BIT) != 32'd0;
        end
    end

    // a cause that is set in the cycle it is cleared stays set and counts as newly set, so an
    // event racing the driver's W1C is never lost
    irq_status_next = (irq_status_reg & ~irq_clr) | irq_set;
    irq_next = ((irq_set & irq_mask_reg & (~irq_status_reg | irq_clr)) != 32'd0);

    // soft reset clears status; configuration (SCRATCH, IRQ_MASK, COPY_DESC_ADDR, MAC_CTRL) is kept
    if (soft_reset_reg) begin
        irq_status_next = 32'd0;
        irq_next = 1'b0;
    end
end

always @(posedge clk) begin
    scratch_reg <= scratch_next;
    irq_mask_reg <= irq_mask_next;
    irq_status_reg <= irq_status_next;
    desc_addr_reg <= desc_addr_next;
    mac_ctrl_reg <= mac_ctrl_next;
    soft_reset_reg <= soft_reset_next;
    irq_reg <= irq_next;

    if (rst) begin
        scratch_reg <= 32'd0;
        irq_mask_reg <= 32'd0;
        irq_status_reg <= 32'd0;
        desc_addr_reg <= 32'd0;
        mac_ctrl_reg <= 32'd0;
        soft_reset_reg <= 1'b0;
        irq_reg <= 1'b0;
    end
end

endmodule

`resetall
