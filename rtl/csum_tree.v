// Language: Verilog 2001

`resetall
`timescale 1ns / 1ps
`default_nettype none

/*
 * One's-complement sum (RFC 1071) of the bytes of a beat selected by a byte mask, combinational.
 *
 * Lanes 2w (high byte) and 2w+1 (low byte) form network-order word w; a masked-off byte counts as
 * 0, so a range ending at an odd byte is padded with zero as RFC 1071 requires. The words are
 * added at full width (no carry is lost: WORDS < 2^16) and the carries folded back in at the end:
 * two end-around-carry steps suffice, since the first fold leaves at most 0xFFFF + WORDS - 1.
 * Synthesis maps the multi-operand addition to a balanced adder tree. The result is 0x0000 only
 * if every selected byte is 0; a nonzero sum that wraps to zero reads 0xFFFF.
 */
module csum_tree #
(
    // Number of 16-bit words (1..32768)
    parameter WORDS = 4
)
(
    // byte lanes, lane 0 in data[7:0]
    input  wire [WORDS*16-1:0]  data,
    input  wire [WORDS*2-1:0]   mask,
    output wire [15:0]          sum
);

localparam SUM_WIDTH = 17 + $clog2(WORDS);

reg [SUM_WIDTH-1:0] wide;
integer i;

always @* begin
    wide = {SUM_WIDTH{1'b0}};
    for (i = 0; i < WORDS; i = i + 1) begin
        wide = wide + {{(SUM_WIDTH-16){1'b0}},
            data[i*16 +: 8] & {8{mask[2*i]}}, data[i*16+8 +: 8] & {8{mask[2*i+1]}}};
    end
end

wire [16:0] fold = {1'b0, wide[15:0]} + {{(33-SUM_WIDTH){1'b0}}, wide[SUM_WIDTH-1:16]};

assign sum = fold[15:0] + {15'd0, fold[16]};

endmodule

`resetall
