// Language: Verilog 2001

`resetall
`timescale 1ns / 1ps
`default_nettype none

/*
 * Microsoft RSS Toeplitz hash over up to 12 input bytes, one result per cycle, latency 1.
 *
 * s_data holds the input in network order, first byte in [95:88]: for IPv4 that is src IP, dst
 * IP, src port, dst port. A shorter input (the 8-byte IPv4-only tuple) is passed with the
 * trailing bytes zero: a zero input bit contributes nothing, so the result equals the hash over
 * the shorter input. key holds the 40-byte secret, first byte in [319:312]. For every set input
 * bit i (counting from the MSB of the first byte) the 32-bit key window starting at key bit i is
 * XORed into the result. The key is sampled in the cycle the input is accepted.
 *
 * s_user is carried alongside, so the caller's record stays with its hash. A plain pipeline
 * register: s_ready = !m_valid || m_ready.
 */
module rss_toeplitz #
(
    // sideband carried with each input
    parameter USER_WIDTH = 1
)
(
    input  wire                   clk,
    input  wire                   rst,

    input  wire [319:0]           key,

    input  wire [95:0]            s_data,
    input  wire [USER_WIDTH-1:0]  s_user,
    input  wire                   s_valid,
    output wire                   s_ready,

    output wire [31:0]            m_hash,
    output wire [USER_WIDTH-1:0]  m_user,
    output wire                   m_valid,
    input  wire                   m_ready
);

initial begin
    if (USER_WIDTH < 1) begin
        $error("Error: USER_WIDTH must be at least 1, got %0d (instance %m)", USER_WIDTH);
        $finish;
    end
end

reg                   valid_reg;
reg [31:0]            hash_reg;
reg [USER_WIDTH-1:0]  user_reg;

reg [31:0] hash;
integer i;
always @* begin
    hash = 32'd0;
    for (i = 0; i < 96; i = i + 1) begin
        if (s_data[95-i]) begin
            hash = hash ^ key[319-i -: 32];
        end
    end
end

// only the first 96+31 key bits can reach the result
wire unused = &{1'b0, key[319-127:0]};

assign s_ready = !valid_reg || m_ready;
assign m_valid = valid_reg;
assign m_hash = hash_reg;
assign m_user = user_reg;

always @(posedge clk) begin
    if (s_ready) begin
        valid_reg <= s_valid;
        if (s_valid) begin
            hash_reg <= hash;
            user_reg <= s_user;
        end
    end

    if (rst) begin
        valid_reg <= 1'b0;
    end
end

endmodule

`resetall
