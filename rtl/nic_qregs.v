// Language: Verilog 2001

`resetall
`timescale 1ns / 1ps
`default_nettype none

`include "zcnic_abi.vh"

/*
 * Per-queue register file shared by the queue engines (nic_tx with RX = 0, nic_rx with RX = 1),
 * so that both answer the QREGS window (docs/nic-queues.md) by the same rules.
 *
 * Window: queue = addr[9:6], register = addr[5:0] (ZCNIC_QREG_*), same-cycle responses as
 * behind axil_reg_if. DECERR (reads 0): queue >= QUEUES or an offset that is not a register
 * (BUF_SIZE/HDR_SIZE too when RX = 0). SLVERR (nothing changes): strobe != 4'hF; RING_BASE not
 * 16-byte aligned, CQ_BASE not aligned to the CQE size, SIZE_LOG2 outside 4..MAX_RING_LOG2,
 * RX: BUF_SIZE not a multiple of 64 in 256..4096, HDR_SIZE not a multiple of 16 in 64..256 (each
 * also while ENABLE); CTRL.RESET while ENABLE or BUSY or together with ENABLE; PROD with
 * (PROD - CONS) mod 2^16 > 2^SIZE_LOG2. Writes to CONS, CQ_PROD, STATUS, ERR_ADDR are accepted
 * and ignored.
 *
 * The engine owns CONS/CQ_PROD advances (cons_set, cqp_set) and raises errors (err_set); RESET
 * is refused while the queue is busy, so an engine update and a RESET never meet on one queue.
 */
module nic_qregs #
(
    // Number of queues (1..16)
    parameter QUEUES = 4,
    // log2 of the largest ring (4..15)
    parameter MAX_RING_LOG2 = 10,
    // 1: RX queues (BUF_SIZE, HDR_SIZE, CTRL.HDR_SPLIT, 32-byte CQEs); 0: TX queues
    parameter RX = 0
)
(
    input  wire                       clk,
    input  wire                       rst,

    /*
     * Register interface
     */
    input  wire [9:0]                 reg_wr_addr,
    input  wire [31:0]                reg_wr_data,
    input  wire [3:0]                 reg_wr_strb,
    input  wire                       reg_wr_en,
    output wire [1:0]                 reg_wr_resp,
    input  wire [9:0]                 reg_rd_addr,
    input  wire                       reg_rd_en,
    output reg  [31:0]                reg_rd_data,
    output reg  [1:0]                 reg_rd_resp,

    /*
     * Configuration and indices, flattened per queue (queue q at [q*W +: W])
     */
    output wire [QUEUES*32-1:0]       q_ring_base,
    output wire [QUEUES*32-1:0]       q_cq_base,
    output wire [QUEUES*4-1:0]        q_size_log2,
    output wire [QUEUES-1:0]          q_enable,
    output wire [QUEUES-1:0]          q_hdr_split,
    output wire [QUEUES*13-1:0]       q_buf_size,
    output wire [QUEUES*9-1:0]        q_hdr_size,
    output wire [QUEUES*16-1:0]       q_prod,
    output wire [QUEUES*16-1:0]       q_cons,
    output wire [QUEUES*16-1:0]       q_cq_prod,

    /*
     * Accepted doorbell / RESET writes (same cycle as the write), for engine-side queue state
     */
    output wire                       prod_wr,
    output wire                       reset_wr,
    output wire [3:0]                 wr_queue,

    /*
     * Engine updates
     */
    input  wire [QUEUES-1:0]          busy,
    input  wire                       cons_set,
    input  wire [3:0]                 cons_q,
    input  wire [15:0]                cons_value,
    input  wire                       cqp_set,
    input  wire [3:0]                 cqp_q,
    input  wire [15:0]                cqp_value,
    input  wire                       err_set,
    input  wire [3:0]                 err_q,
    input  wire [3:0]                 err_code,
    input  wire [1:0]                 err_resp,
    input  wire [15:0]                err_index,
    input  wire [31:0]                err_addr,

    /*
     * Status and interrupt configuration
     */
    output wire [QUEUES-1:0]          err_queues,
    output reg                        err_evt,
    output wire [QUEUES*16-1:0]       irq_frames,
    output wire [QUEUES*16-1:0]       irq_cycles,
    output reg                        arm_valid,
    output reg  [3:0]                 arm_queue
);

localparam QW = (QUEUES > 1) ? $clog2(QUEUES) : 1;
localparam [31:0] QUEUES_32 = QUEUES;
localparam [31:0] MIN_LOG2_32 = `ZCNIC_QUEUE_MIN_RING_LOG2;
localparam [3:0] MIN_LOG2 = MIN_LOG2_32[3:0];
// CQ_BASE is aligned to its CQE size
localparam [31:0] CQ_ALIGN_MASK = (RX != 0) ? `ZCNIC_RX_CQE_BYTES - 1 : `ZCNIC_TX_CQE_BYTES - 1;

initial begin
    if (QUEUES < 1 || QUEUES > `ZCNIC_QUEUE_MAX_QUEUES) begin
        $error("Error: %m: QUEUES must be in 1..16 (got %0d)", QUEUES);
        $finish;
    end
    if (MAX_RING_LOG2 < `ZCNIC_QUEUE_MIN_RING_LOG2 || MAX_RING_LOG2 > 15) begin
        $error("Error: %m: MAX_RING_LOG2 must be in 4..15 (got %0d)", MAX_RING_LOG2);
        $finish;
    end
    if (RX != 0 && RX != 1) begin
        $error("Error: %m: RX must be 0 or 1 (got %0d)", RX);
        $finish;
    end
end

reg [31:0] ring_reg [0:QUEUES-1];
reg [31:0] cqb_reg [0:QUEUES-1];
reg [3:0]  size_reg [0:QUEUES-1];
reg [15:0] prod_reg [0:QUEUES-1];
reg [15:0] cons_reg [0:QUEUES-1];
reg [15:0] cqp_reg [0:QUEUES-1];
reg [3:0]  code_reg [0:QUEUES-1];
reg [1:0]  resp_reg [0:QUEUES-1];
reg [15:0] didx_reg [0:QUEUES-1];
reg [31:0] eaddr_reg [0:QUEUES-1];
reg [15:0] irqf_reg [0:QUEUES-1];
reg [15:0] irqc_reg [0:QUEUES-1];
reg [12:0] buf_reg [0:QUEUES-1];
reg [8:0]  hdr_reg [0:QUEUES-1];
reg [QUEUES-1:0] en_reg;
reg [QUEUES-1:0] split_reg;
reg [QUEUES-1:0] err_reg;

function off_mapped(input [5:0] o);
    begin
        off_mapped = o == `ZCNIC_QREG_RING_BASE || o == `ZCNIC_QREG_CQ_BASE ||
            o == `ZCNIC_QREG_SIZE_LOG2 || o == `ZCNIC_QREG_CTRL || o == `ZCNIC_QREG_PROD ||
            o == `ZCNIC_QREG_CONS || o == `ZCNIC_QREG_CQ_PROD || o == `ZCNIC_QREG_STATUS ||
            o == `ZCNIC_QREG_ERR_ADDR || o == `ZCNIC_QREG_IRQ_ARM || o == `ZCNIC_QREG_IRQ_FRAMES ||
            o == `ZCNIC_QREG_IRQ_CYCLES ||
            (RX != 0 && (o == `ZCNIC_QREG_BUF_SIZE || o == `ZCNIC_QREG_HDR_SIZE));
    end
endfunction

// a queue number as an array index (0 when out of range; such accesses are never acted on)
function [QW-1:0] qidx(input [3:0] q);
    begin
        qidx = ({28'd0, q} < QUEUES_32) ? q[QW-1:0] : {QW{1'b0}};
    end
endfunction

function q_ok(input [3:0] q);
    begin
        q_ok = {28'd0, q} < QUEUES_32;
    end
endfunction

/*
 * Writes: decode and refusal
 */
wire [3:0]    wq4 = reg_wr_addr[9:6];
wire [5:0]    wo = reg_wr_addr[5:0];
wire [QW-1:0] wq = qidx(wq4);
wire          wr_dec = !q_ok(wq4) || !off_mapped(wo);
wire          wr_enabled = en_reg[wq];
wire [15:0]   wr_pending = reg_wr_data[15:0] - cons_reg[wq];
wire          wr_reset = reg_wr_data[`ZCNIC_Q_CTRL_RESET_LSB];
reg           wr_refuse;
always @* begin
    wr_refuse = reg_wr_strb != 4'hf;
    case (wo)
        `ZCNIC_QREG_RING_BASE: wr_refuse = wr_refuse || wr_enabled || reg_wr_data[3:0] != 4'd0;
        `ZCNIC_QREG_CQ_BASE: wr_refuse = wr_refuse || wr_enabled || (reg_wr_data & CQ_ALIGN_MASK) != 32'd0;
        `ZCNIC_QREG_SIZE_LOG2: wr_refuse = wr_refuse || wr_enabled ||
            reg_wr_data < `ZCNIC_QUEUE_MIN_RING_LOG2 || reg_wr_data > MAX_RING_LOG2;
        // RESET only on an idle, disabled queue, and not together with ENABLE (reset, then
        // enable, in two writes)
        `ZCNIC_QREG_CTRL: wr_refuse = wr_refuse || (wr_reset &&
            (wr_enabled || busy[wq] || reg_wr_data[`ZCNIC_Q_CTRL_ENABLE_LSB]));
        `ZCNIC_QREG_PROD: wr_refuse = wr_refuse || {1'b0, wr_pending} > (17'd1 << size_reg[wq]);
        `ZCNIC_QREG_BUF_SIZE: wr_refuse = wr_refuse || wr_enabled || reg_wr_data[5:0] != 6'd0 ||
            reg_wr_data < 32'd256 || reg_wr_data > 32'd4096;
        `ZCNIC_QREG_HDR_SIZE: wr_refuse = wr_refuse || wr_enabled || reg_wr_data[3:0] != 4'd0 ||
            reg_wr_data < 32'd64 || reg_wr_data > 32'd256;
        default: wr_refuse = wr_refuse;
    endcase
end

assign reg_wr_resp = wr_dec ? `ZCNIC_AXI_RESP_DECERR :
    wr_refuse ? `ZCNIC_AXI_RESP_SLVERR : `ZCNIC_AXI_RESP_OKAY;
wire wr_go = reg_wr_en && !wr_dec && !wr_refuse;

assign prod_wr = wr_go && wo == `ZCNIC_QREG_PROD;
assign reset_wr = wr_go && wo == `ZCNIC_QREG_CTRL && wr_reset;
assign wr_queue = wq4;

/*
 * Reads (no side effects)
 */
wire [3:0]    rq4 = reg_rd_addr[9:6];
wire [5:0]    ro = reg_rd_addr[5:0];
wire [QW-1:0] rq = qidx(rq4);
wire unused_rd_en = &{1'b0, reg_rd_en};

always @* begin
    reg_rd_data = 32'd0;
    reg_rd_resp = `ZCNIC_AXI_RESP_OKAY;
    if (!q_ok(rq4) || !off_mapped(ro)) begin
        reg_rd_resp = `ZCNIC_AXI_RESP_DECERR;
    end else begin
        case (ro)
            `ZCNIC_QREG_RING_BASE: reg_rd_data = ring_reg[rq];
            `ZCNIC_QREG_CQ_BASE: reg_rd_data = cqb_reg[rq];
            `ZCNIC_QREG_SIZE_LOG2: reg_rd_data = {28'd0, size_reg[rq]};
            `ZCNIC_QREG_CTRL: reg_rd_data =
                ({31'd0, en_reg[rq]} << `ZCNIC_Q_CTRL_ENABLE_LSB) |
                ({31'd0, busy[rq]} << `ZCNIC_Q_CTRL_BUSY_LSB) |
                ({31'd0, split_reg[rq]} << `ZCNIC_Q_CTRL_HDR_SPLIT_LSB);
            `ZCNIC_QREG_PROD: reg_rd_data = {16'd0, prod_reg[rq]};
            `ZCNIC_QREG_CONS: reg_rd_data = {16'd0, cons_reg[rq]};
            `ZCNIC_QREG_CQ_PROD: reg_rd_data = {16'd0, cqp_reg[rq]};
            `ZCNIC_QREG_STATUS: reg_rd_data =
                ({31'd0, err_reg[rq]} << `ZCNIC_Q_STATUS_ERROR_LSB) |
                ({28'd0, code_reg[rq]} << `ZCNIC_Q_STATUS_ERR_CODE_LSB) |
                ({30'd0, resp_reg[rq]} << `ZCNIC_Q_STATUS_ERR_RESP_LSB) |
                ({16'd0, didx_reg[rq]} << `ZCNIC_Q_STATUS_DESC_INDEX_LSB);
            `ZCNIC_QREG_ERR_ADDR: reg_rd_data = eaddr_reg[rq];
            `ZCNIC_QREG_IRQ_FRAMES: reg_rd_data = {16'd0, irqf_reg[rq]};
            `ZCNIC_QREG_IRQ_CYCLES: reg_rd_data = {16'd0, irqc_reg[rq]};
            `ZCNIC_QREG_BUF_SIZE: reg_rd_data = {19'd0, buf_reg[rq]};
            `ZCNIC_QREG_HDR_SIZE: reg_rd_data = {23'd0, hdr_reg[rq]};
            default: reg_rd_data = 32'd0;  // IRQ_ARM is write-only
        endcase
    end
end

/*
 * Flattened outputs
 */
genvar g;
generate
    for (g = 0; g < QUEUES; g = g + 1) begin : g_out
        assign q_ring_base[g*32 +: 32] = ring_reg[g];
        assign q_cq_base[g*32 +: 32] = cqb_reg[g];
        assign q_size_log2[g*4 +: 4] = size_reg[g];
        assign q_buf_size[g*13 +: 13] = buf_reg[g];
        assign q_hdr_size[g*9 +: 9] = hdr_reg[g];
        assign q_prod[g*16 +: 16] = prod_reg[g];
        assign q_cons[g*16 +: 16] = cons_reg[g];
        assign q_cq_prod[g*16 +: 16] = cqp_reg[g];
        assign irq_frames[g*16 +: 16] = irqf_reg[g];
        assign irq_cycles[g*16 +: 16] = irqc_reg[g];
    end
endgenerate
assign q_enable = en_reg;
assign q_hdr_split = split_reg;
assign err_queues = err_reg;

/*
 * Updates: engine first, then register writes (disjoint by the BUSY rule above)
 */
integer qi;
always @(posedge clk) begin
    err_evt <= err_set;
    arm_valid <= 1'b0;

    if (cons_set && q_ok(cons_q)) begin
        cons_reg[qidx(cons_q)] <= cons_value;
    end
    if (cqp_set && q_ok(cqp_q)) begin
        cqp_reg[qidx(cqp_q)] <= cqp_value;
    end
    if (err_set && q_ok(err_q)) begin
        err_reg[qidx(err_q)] <= 1'b1;
        code_reg[qidx(err_q)] <= err_code;
        resp_reg[qidx(err_q)] <= err_resp;
        didx_reg[qidx(err_q)] <= err_index;
        eaddr_reg[qidx(err_q)] <= err_addr;
    end

    if (wr_go) begin
        case (wo)
            `ZCNIC_QREG_RING_BASE: ring_reg[wq] <= reg_wr_data;
            `ZCNIC_QREG_CQ_BASE: cqb_reg[wq] <= reg_wr_data;
            `ZCNIC_QREG_SIZE_LOG2: size_reg[wq] <= reg_wr_data[3:0];
            `ZCNIC_QREG_CTRL: begin
                en_reg[wq] <= reg_wr_data[`ZCNIC_Q_CTRL_ENABLE_LSB];
                // TX has no header split: the bit reads 0 and writing it is ignored
                split_reg[wq] <= RX != 0 && reg_wr_data[`ZCNIC_Q_CTRL_HDR_SPLIT_LSB];
                if (wr_reset) begin
                    prod_reg[wq] <= 16'd0;
                    cons_reg[wq] <= 16'd0;
                    cqp_reg[wq] <= 16'd0;
                    err_reg[wq] <= 1'b0;
                    code_reg[wq] <= 4'd0;
                    resp_reg[wq] <= 2'd0;
                    didx_reg[wq] <= 16'd0;
                    eaddr_reg[wq] <= 32'd0;
                end
            end
            `ZCNIC_QREG_PROD: prod_reg[wq] <= reg_wr_data[15:0];
            `ZCNIC_QREG_IRQ_ARM: begin
                arm_valid <= 1'b1;
                arm_queue <= wq4;
            end
            `ZCNIC_QREG_IRQ_FRAMES: irqf_reg[wq] <= reg_wr_data[15:0];
            `ZCNIC_QREG_IRQ_CYCLES: irqc_reg[wq] <= reg_wr_data[15:0];
            // only decoded when RX != 0
            `ZCNIC_QREG_BUF_SIZE: buf_reg[wq] <= reg_wr_data[12:0];
            `ZCNIC_QREG_HDR_SIZE: hdr_reg[wq] <= reg_wr_data[8:0];
            default: begin
                // read-only registers: the write is accepted and ignored
            end
        endcase
    end

    if (rst) begin
        err_evt <= 1'b0;
        arm_valid <= 1'b0;
        arm_queue <= 4'd0;
        en_reg <= {QUEUES{1'b0}};
        split_reg <= {QUEUES{1'b0}};
        err_reg <= {QUEUES{1'b0}};
        for (qi = 0; qi < QUEUES; qi = qi + 1) begin
            ring_reg[qi] <= 32'd0;
            cqb_reg[qi] <= 32'd0;
            size_reg[qi] <= MIN_LOG2;
            prod_reg[qi] <= 16'd0;
            cons_reg[qi] <= 16'd0;
            cqp_reg[qi] <= 16'd0;
            code_reg[qi] <= 4'd0;
            resp_reg[qi] <= 2'd0;
            didx_reg[qi] <= 16'd0;
            eaddr_reg[qi] <= 32'd0;
            irqf_reg[qi] <= 16'd0;
            irqc_reg[qi] <= 16'd0;
            buf_reg[qi] <= 13'd2048;
            hdr_reg[qi] <= 9'd256;
        end
    end
end

endmodule

`resetall
