// Language: Verilog 2001

`resetall
`timescale 1ns / 1ps
`default_nettype none

/*
 * RX checksum verification: taps an AXI-Stream link (a beat is tvalid && tready; the tap never
 * stalls it) and reports, per frame, whether the IPv4 header checksum and the UDP checksum are
 * good. Records leave through a valid/ready channel, from a RES_FIFO_DEPTH-entry FIFO; a record
 * that finds the FIFO full is dropped and counted in res_drop_count (the consumer must keep up
 * with the frame rate on average: one record per frame).
 *
 * A record is ready three cycles after the frame's last beat. Flags (all 0 for a non-IPv4 frame):
 * is_ipv4: ethertype 0x0800 (after at most one 802.1Q tag), version 4, IHL >= 5 and the 20-byte
 *   base header present;
 * ip_csum_ok: the header checksum is good, the whole header is present, the IP total length is at
 *   least the header length and the frame holds the whole datagram (not truncated);
 * is_udp: IPv4 protocol 17;
 * l4_csum_present: UDP, not a fragment, the UDP checksum field is present and != 0 (0 = none);
 * l4_csum_ok: present, not truncated, total length >= IHL*4 + 8 and the checksum over
 *   pseudo-header + UDP header + payload (IP total length - IHL*4 bytes) is good;
 * fragment: IPv4 with MF set or a nonzero fragment offset (no L4 check);
 * truncated: IPv4 whose frame ends before L3 offset + IP total length.
 */
module rx_csum #
(
    // Data width in bits (64..512, power of 2)
    parameter DATA_WIDTH = 64,
    // Result FIFO depth (power of 2, >= 2)
    parameter RES_FIFO_DEPTH = 16
)
(
    input  wire                     clk,
    input  wire                     rst,

    /*
     * Tapped stream (all inputs)
     */
    input  wire [DATA_WIDTH-1:0]    s_axis_tdata,
    input  wire [DATA_WIDTH/8-1:0]  s_axis_tkeep,
    input  wire                     s_axis_tvalid,
    input  wire                     s_axis_tready,
    input  wire                     s_axis_tlast,

    /*
     * Per-frame result
     */
    output wire                     m_res_valid,
    input  wire                     m_res_ready,
    output wire                     m_res_is_ipv4,
    output wire                     m_res_ip_csum_ok,
    output wire                     m_res_is_udp,
    output wire                     m_res_l4_csum_present,
    output wire                     m_res_l4_csum_ok,
    output wire                     m_res_fragment,
    output wire                     m_res_truncated,

    // records lost to a full result FIFO
    output wire [31:0]              res_drop_count
);

localparam FIFO_BITS = $clog2(RES_FIFO_DEPTH);
localparam REC_WIDTH = 7;

initial begin
    if (DATA_WIDTH < 64 || DATA_WIDTH > 512 || (DATA_WIDTH & (DATA_WIDTH - 1)) != 0) begin
        $error("Error: %m: DATA_WIDTH must be a power of 2 in 64..512 (got %0d)", DATA_WIDTH);
        $finish;
    end
    if (RES_FIFO_DEPTH < 2 || (RES_FIFO_DEPTH & (RES_FIFO_DEPTH - 1)) != 0) begin
        $error("Error: %m: RES_FIFO_DEPTH must be a power of 2 >= 2 (got %0d)", RES_FIFO_DEPTH);
        $finish;
    end
end

wire        p_valid;
wire        p_is_ipv4;
wire        p_ip_hdr_present;
wire        p_truncated;
wire        p_ip_len_ok;
wire        p_udp_len_ok;
wire        p_is_udp;
wire        p_fragment;
wire        p_udp_csum_nz;
wire [15:0] p_ip_sum;
wire [15:0] p_l4_sum;
wire        p_tag;
wire [6:0]  p_ip_pos;
wire [6:0]  p_udp_pos;

// offsets and the tag only matter for insertion
wire unused_parse = &{1'b0, p_tag, p_ip_pos, p_udp_pos};

csum_parse #(
    .DATA_WIDTH(DATA_WIDTH),
    .SKIP_CSUM_FIELDS(0),
    .TAG_WIDTH(1)
)
csum_parse_inst (
    .clk(clk),
    .rst(rst),
    .s_tdata(s_axis_tdata),
    .s_tkeep(s_axis_tkeep),
    .s_tlast(s_axis_tlast),
    .s_beat(s_axis_tvalid && s_axis_tready),
    .s_tag(1'b0),
    .res_valid(p_valid),
    .res_tag(p_tag),
    .res_is_ipv4(p_is_ipv4),
    .res_ip_hdr_present(p_ip_hdr_present),
    .res_truncated(p_truncated),
    .res_ip_len_ok(p_ip_len_ok),
    .res_udp_len_ok(p_udp_len_ok),
    .res_is_udp(p_is_udp),
    .res_fragment(p_fragment),
    .res_udp_csum_nz(p_udp_csum_nz),
    .res_ip_sum(p_ip_sum),
    .res_l4_sum(p_l4_sum),
    .res_ip_csum_pos(p_ip_pos),
    .res_udp_csum_pos(p_udp_pos)
);

// a good header or datagram, checksum field included, sums to 0xFFFF (never 0x0000: the
// version byte and the pseudo-header protocol are nonzero)
wire l4_present = p_is_udp && !p_fragment && p_udp_csum_nz;
wire [REC_WIDTH-1:0] rec = {
    p_is_ipv4 && p_truncated,
    p_fragment,
    l4_present && !p_truncated && p_udp_len_ok && p_l4_sum == 16'hffff,
    l4_present,
    p_is_udp,
    p_is_ipv4 && p_ip_hdr_present && p_ip_len_ok && !p_truncated && p_ip_sum == 16'hffff,
    p_is_ipv4
};

reg [FIFO_BITS:0]   wr_ptr_reg, wr_ptr_next;
reg [FIFO_BITS:0]   rd_ptr_reg, rd_ptr_next;
reg [31:0]          drop_count_reg, drop_count_next;

reg [REC_WIDTH-1:0] fifo [0:RES_FIFO_DEPTH-1];

wire empty = wr_ptr_reg == rd_ptr_reg;
wire full = wr_ptr_reg == {~rd_ptr_reg[FIFO_BITS], rd_ptr_reg[FIFO_BITS-1:0]};
wire push = p_valid && !full;
wire [REC_WIDTH-1:0] head = fifo[rd_ptr_reg[FIFO_BITS-1:0]];

assign m_res_valid = !empty;
assign {m_res_truncated, m_res_fragment, m_res_l4_csum_ok, m_res_l4_csum_present, m_res_is_udp,
        m_res_ip_csum_ok, m_res_is_ipv4} = head;
assign res_drop_count = drop_count_reg;

always @* begin
    wr_ptr_next = wr_ptr_reg;
    rd_ptr_next = rd_ptr_reg;
    drop_count_next = drop_count_reg;

    if (push) begin
        wr_ptr_next = wr_ptr_reg + 1'b1;
    end
    if (p_valid && full) begin
        drop_count_next = drop_count_reg + 1'b1;
    end
    if (m_res_valid && m_res_ready) begin
        rd_ptr_next = rd_ptr_reg + 1'b1;
    end
end

always @(posedge clk) begin
    if (push) begin
        fifo[wr_ptr_reg[FIFO_BITS-1:0]] <= rec;
    end
end

always @(posedge clk) begin
    wr_ptr_reg <= wr_ptr_next;
    rd_ptr_reg <= rd_ptr_next;
    drop_count_reg <= drop_count_next;

    if (rst) begin
        wr_ptr_reg <= {FIFO_BITS+1{1'b0}};
        rd_ptr_reg <= {FIFO_BITS+1{1'b0}};
        drop_count_reg <= 32'd0;
    end
end

endmodule

`resetall
