// Language: Verilog 2001

`resetall
`timescale 1ns / 1ps
`default_nettype none

/*
 * Fragment concatenation: lane-0 aligned AXI-Stream fragments -> one packed frame.
 *
 * Each input fragment ends with tlast and has tkeep all ones except on its last beat (contiguous
 * from lane 0); s_axis_eof (valid on every beat of a fragment) marks the frame's last fragment.
 * The output frame carries the fragments' bytes back to back with tkeep all ones except on its
 * tlast beat. A beat with tuser = 1 is an error marker (dma_rd's tkeep = 0, tlast = 1 beat ending
 * a failed read): its bytes are ignored and the frame's last beat leaves with tuser = 1, so a
 * downstream tx_csum drops the frame whole. tuser is 0 on every other output beat.
 *
 * Bytes not yet making a full word wait in a residue register; a frame whose residue overflows
 * on its last input beat needs one extra output cycle (flush), otherwise one beat per cycle.
 */
module axis_pack #
(
    // Data width in bits (64..512, power of 2)
    parameter DATA_WIDTH = 64
)
(
    input  wire                     clk,
    input  wire                     rst,

    input  wire [DATA_WIDTH-1:0]    s_axis_tdata,
    input  wire [DATA_WIDTH/8-1:0]  s_axis_tkeep,
    input  wire                     s_axis_tlast,
    input  wire                     s_axis_tuser,
    input  wire                     s_axis_eof,
    input  wire                     s_axis_tvalid,
    output wire                     s_axis_tready,

    output wire [DATA_WIDTH-1:0]    m_axis_tdata,
    output wire [DATA_WIDTH/8-1:0]  m_axis_tkeep,
    output wire                     m_axis_tlast,
    output wire                     m_axis_tuser,
    output wire                     m_axis_tvalid,
    input  wire                     m_axis_tready
);

localparam BYTES = DATA_WIDTH/8;
localparam LANE_BITS = $clog2(BYTES);
localparam [LANE_BITS:0] FULL = BYTES[LANE_BITS:0];

initial begin
    if (DATA_WIDTH < 64 || DATA_WIDTH > 512 || (DATA_WIDTH & (DATA_WIDTH - 1)) != 0) begin
        $error("Error: %m: DATA_WIDTH must be a power of 2 in 64..512 (got %0d)", DATA_WIDTH);
        $finish;
    end
end

// bytes in a contiguous tkeep
function [LANE_BITS:0] keep_count(input [BYTES-1:0] keep);
    integer i;
    begin
        keep_count = {(LANE_BITS+1){1'b0}};
        for (i = 0; i < BYTES; i = i + 1) begin
            keep_count = keep_count + {{LANE_BITS{1'b0}}, keep[i]};
        end
    end
endfunction

function [DATA_WIDTH-1:0] byte_mask(input [LANE_BITS:0] n);
    integer i;
    begin
        for (i = 0; i < BYTES; i = i + 1) begin
            byte_mask[i*8 +: 8] = (i < n) ? 8'hff : 8'h00;
        end
    end
endfunction

function [BYTES-1:0] keep_of(input [LANE_BITS:0] n);
    integer i;
    begin
        for (i = 0; i < BYTES; i = i + 1) begin
            keep_of[i] = i < n;
        end
    end
endfunction

reg [DATA_WIDTH-1:0]  res_data_reg, res_data_next;
reg [LANE_BITS-1:0]   res_cnt_reg, res_cnt_next;
reg                   err_reg, err_next;
// the frame's tail is in the residue and still has to go out
reg                   flush_reg, flush_next;

reg [DATA_WIDTH-1:0]  out_data_reg, out_data_next;
reg [BYTES-1:0]       out_keep_reg, out_keep_next;
reg                   out_last_reg, out_last_next;
reg                   out_user_reg, out_user_next;
reg                   out_valid_reg, out_valid_next;

wire out_free = !out_valid_reg || m_axis_tready;
assign s_axis_tready = out_free && !flush_reg;
wire in_beat = s_axis_tvalid && s_axis_tready;

// an error beat contributes no bytes; clean the lanes above tkeep so the residue stays zero-padded
wire [LANE_BITS:0]     in_cnt = s_axis_tuser ? {(LANE_BITS+1){1'b0}} : keep_count(s_axis_tkeep);
wire [DATA_WIDTH-1:0]  in_data = s_axis_tdata & byte_mask(in_cnt);
wire [2*DATA_WIDTH-1:0] comb = {{DATA_WIDTH{1'b0}}, res_data_reg} |
    ({{DATA_WIDTH{1'b0}}, in_data} << {res_cnt_reg, 3'b000});
wire [LANE_BITS+1:0]   total = {2'b00, res_cnt_reg} + {1'b0, in_cnt};
wire                   frame_end = s_axis_tlast && s_axis_eof;

assign m_axis_tdata = out_data_reg;
assign m_axis_tkeep = out_keep_reg;
assign m_axis_tlast = out_last_reg;
assign m_axis_tuser = out_user_reg;
assign m_axis_tvalid = out_valid_reg;

always @* begin
    res_data_next = res_data_reg;
    res_cnt_next = res_cnt_reg;
    err_next = err_reg;
    flush_next = flush_reg;
    out_data_next = out_data_reg;
    out_keep_next = out_keep_reg;
    out_last_next = out_last_reg;
    out_user_next = out_user_reg;
    out_valid_next = out_valid_reg && !m_axis_tready;

    if (flush_reg && out_free) begin
        out_data_next = res_data_reg;
        out_keep_next = keep_of({1'b0, res_cnt_reg});
        out_last_next = 1'b1;
        out_user_next = err_reg;
        out_valid_next = 1'b1;
        res_data_next = {DATA_WIDTH{1'b0}};
        res_cnt_next = {LANE_BITS{1'b0}};
        err_next = 1'b0;
        flush_next = 1'b0;
    end

    if (in_beat) begin
        if (total >= {1'b0, FULL}) begin
            // a full word: send it, keep the overflow
            out_data_next = comb[DATA_WIDTH-1:0];
            out_keep_next = {BYTES{1'b1}};
            out_last_next = frame_end && total == {1'b0, FULL};
            out_user_next = frame_end && total == {1'b0, FULL} && (err_reg || s_axis_tuser);
            out_valid_next = 1'b1;
            res_data_next = comb[2*DATA_WIDTH-1:DATA_WIDTH];
            res_cnt_next = total[LANE_BITS-1:0];
            err_next = err_reg || s_axis_tuser;
            if (frame_end) begin
                if (total == {1'b0, FULL}) begin
                    err_next = 1'b0;
                end else begin
                    flush_next = 1'b1;
                end
            end
        end else if (frame_end) begin
            // the frame ends inside this word (possibly empty: an error marker with no residue)
            out_data_next = comb[DATA_WIDTH-1:0];
            out_keep_next = keep_of(total[LANE_BITS:0]);
            out_last_next = 1'b1;
            out_user_next = err_reg || s_axis_tuser;
            out_valid_next = 1'b1;
            res_data_next = {DATA_WIDTH{1'b0}};
            res_cnt_next = {LANE_BITS{1'b0}};
            err_next = 1'b0;
        end else begin
            res_data_next = comb[DATA_WIDTH-1:0];
            res_cnt_next = total[LANE_BITS-1:0];
            err_next = err_reg || s_axis_tuser;
        end
    end
end

always @(posedge clk) begin
    res_data_reg <= res_data_next;
    res_cnt_reg <= res_cnt_next;
    err_reg <= err_next;
    flush_reg <= flush_next;
    out_data_reg <= out_data_next;
    out_keep_reg <= out_keep_next;
    out_last_reg <= out_last_next;
    out_user_reg <= out_user_next;
    out_valid_reg <= out_valid_next;

    if (rst) begin
        res_data_reg <= {DATA_WIDTH{1'b0}};
        res_cnt_reg <= {LANE_BITS{1'b0}};
        err_reg <= 1'b0;
        flush_reg <= 1'b0;
        out_valid_reg <= 1'b0;
    end
end

endmodule

`resetall
