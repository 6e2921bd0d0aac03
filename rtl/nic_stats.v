// Language: Verilog 2001

`resetall
`timescale 1ns / 1ps
`default_nettype none

`include "zcnic_abi.vh"

/*
 * Statistics counters (STAT_* registers): 32-bit, wrapping, cleared by CTRL.SOFT_RESET.
 *
 * The engines report one-cycle event pulses; counting happens here so that every counter has
 * the same wrap and clear rules and the engines carry no register plumbing for them. TX and RX
 * DMA errors may pulse in the same cycle, so STAT_DMA_ERRORS can step by two.
 *
 * Read port: combinational, rd_hit when rd_addr is a STAT_* register (the top level routes the
 * response); writes to them are ignored (read-only registers answer OKAY, like nic_regs).
 */
module nic_stats
(
    input  wire         clk,
    input  wire         rst,
    input  wire         clear,

    /*
     * Events (one-cycle pulses; bytes qualify the frame pulses)
     */
    input  wire         tx_frame,
    input  wire [15:0]  tx_bytes,
    input  wire         tx_drop,
    input  wire         tx_dma_err,
    input  wire         rx_frame,
    input  wire [15:0]  rx_bytes,
    input  wire         rx_drop_nodesc,
    input  wire         rx_drop_filter,
    input  wire         rx_drop_queue,
    input  wire         rx_drop_bad,
    input  wire         rx_drop_dma,
    input  wire         rx_dma_err,

    /*
     * Register read
     */
    input  wire [11:0]  rd_addr,
    output reg  [31:0]  rd_data,
    output reg          rd_hit,
    input  wire [11:0]  wr_addr,
    output wire         wr_hit
);

reg [31:0] tx_frames_reg, tx_bytes_reg, tx_drop_reg;
reg [31:0] rx_frames_reg, rx_bytes_reg, rx_nodesc_reg, rx_filter_reg, rx_queue_reg, rx_bad_reg, rx_dma_reg;
reg [31:0] dma_err_reg;

function is_stat(input [11:0] off);
    begin
        case (off)
            `ZCNIC_REG_STAT_TX_FRAMES, `ZCNIC_REG_STAT_TX_BYTES, `ZCNIC_REG_STAT_TX_DROP_ERR,
            `ZCNIC_REG_STAT_RX_FRAMES, `ZCNIC_REG_STAT_RX_BYTES, `ZCNIC_REG_STAT_RX_DROP_NODESC,
            `ZCNIC_REG_STAT_RX_DROP_FILTER, `ZCNIC_REG_STAT_RX_DROP_QUEUE, `ZCNIC_REG_STAT_RX_DROP_BAD,
            `ZCNIC_REG_STAT_RX_DROP_DMA, `ZCNIC_REG_STAT_DMA_ERRORS:
                is_stat = 1'b1;
            default:
                is_stat = 1'b0;
        endcase
    end
endfunction

wire [11:0] rd_off = {rd_addr[11:2], 2'b00};
assign wr_hit = is_stat({wr_addr[11:2], 2'b00});
// registers are whole words
wire unused_addr = &{1'b0, rd_addr[1:0], wr_addr[1:0]};

always @* begin
    rd_hit = is_stat(rd_off);
    case (rd_off)
        `ZCNIC_REG_STAT_TX_FRAMES:      rd_data = tx_frames_reg;
        `ZCNIC_REG_STAT_TX_BYTES:       rd_data = tx_bytes_reg;
        `ZCNIC_REG_STAT_TX_DROP_ERR:    rd_data = tx_drop_reg;
        `ZCNIC_REG_STAT_RX_FRAMES:      rd_data = rx_frames_reg;
        `ZCNIC_REG_STAT_RX_BYTES:       rd_data = rx_bytes_reg;
        `ZCNIC_REG_STAT_RX_DROP_NODESC: rd_data = rx_nodesc_reg;
        `ZCNIC_REG_STAT_RX_DROP_FILTER: rd_data = rx_filter_reg;
        `ZCNIC_REG_STAT_RX_DROP_QUEUE:  rd_data = rx_queue_reg;
        `ZCNIC_REG_STAT_RX_DROP_BAD:    rd_data = rx_bad_reg;
        `ZCNIC_REG_STAT_RX_DROP_DMA:    rd_data = rx_dma_reg;
        `ZCNIC_REG_STAT_DMA_ERRORS:     rd_data = dma_err_reg;
        default:                        rd_data = 32'd0;
    endcase
end

always @(posedge clk) begin
    tx_frames_reg <= tx_frames_reg + {31'd0, tx_frame};
    tx_bytes_reg <= tx_bytes_reg + (tx_frame ? {16'd0, tx_bytes} : 32'd0);
    tx_drop_reg <= tx_drop_reg + {31'd0, tx_drop};
    rx_frames_reg <= rx_frames_reg + {31'd0, rx_frame};
    rx_bytes_reg <= rx_bytes_reg + (rx_frame ? {16'd0, rx_bytes} : 32'd0);
    rx_nodesc_reg <= rx_nodesc_reg + {31'd0, rx_drop_nodesc};
    rx_filter_reg <= rx_filter_reg + {31'd0, rx_drop_filter};
    rx_queue_reg <= rx_queue_reg + {31'd0, rx_drop_queue};
    rx_bad_reg <= rx_bad_reg + {31'd0, rx_drop_bad};
    rx_dma_reg <= rx_dma_reg + {31'd0, rx_drop_dma};
    dma_err_reg <= dma_err_reg + {31'd0, tx_dma_err} + {31'd0, rx_dma_err};

    if (rst || clear) begin
        tx_frames_reg <= 32'd0;
        tx_bytes_reg <= 32'd0;
        tx_drop_reg <= 32'd0;
        rx_frames_reg <= 32'd0;
        rx_bytes_reg <= 32'd0;
        rx_nodesc_reg <= 32'd0;
        rx_filter_reg <= 32'd0;
        rx_queue_reg <= 32'd0;
        rx_bad_reg <= 32'd0;
        rx_dma_reg <= 32'd0;
        dma_err_reg <= 32'd0;
    end
end

endmodule

`resetall
