// Language: Verilog 2001

`resetall
`timescale 1ns / 1ps
`default_nettype none

/*
 * Checksum front end shared by rx_csum and tx_csum: parses Ethernet II (at most one 802.1Q tag)
 * / IPv4 / UDP on the fly and sums the IPv4 header and the UDP pseudo-header + datagram, at one
 * beat per cycle with no back-pressure. One record per frame comes out (res_valid pulse) two
 * cycles after the frame's last beat; s_tag, sampled with the last beat, comes back with it.
 *
 * Every frame offset the sums need (L3 at 14 or 18, IHL, total length) lies at or before the
 * first byte whose lane mask depends on it, so the masks are decoded from the header bytes
 * captured so far merged with the current beat (hdr_cur): no delay line is needed. The IP and
 * UDP ranges start at even frame offsets, so 16-bit words are always lane pairs (2w, 2w+1).
 *
 * Stage 0: per-lane byte masks as vectors (thermometer codes of the range bounds relative to the
 * beat): tkeep & IP header range; tkeep & (IP addresses | L4 range up to the IP total length,
 * so Ethernet padding and trailers are excluded). The UDP checksum field (offset <= 84) is read
 * from the captured header. Stage 1: the beat, its masks and the frame's fields, registered.
 * Stage 2: one csum_tree per sum, end-around-carry accumulators, the record.
 *
 * Input rule: tkeep is all ones except on a frame's last beat, where it is contiguous from
 * lane 0. Byte positions saturate at 2^17 - 1 (beyond every range an IP total length can give).
 */
module csum_parse #
(
    // Data width in bits (64..512, power of 2)
    parameter DATA_WIDTH = 64,
    // 1: leave the IPv4 header checksum and UDP checksum fields out of the sums (insertion);
    // 0: include them (verification: a good header or datagram then sums to 0xFFFF)
    parameter SKIP_CSUM_FIELDS = 0,
    // Width of the per-frame tag
    parameter TAG_WIDTH = 1
)
(
    input  wire                     clk,
    input  wire                     rst,

    /*
     * Stream beats (s_beat: a beat transfers this cycle)
     */
    input  wire [DATA_WIDTH-1:0]    s_tdata,
    input  wire [DATA_WIDTH/8-1:0]  s_tkeep,
    input  wire                     s_tlast,
    input  wire                     s_beat,
    input  wire [TAG_WIDTH-1:0]     s_tag,

    /*
     * Per-frame record (one-cycle pulse, no back-pressure)
     */
    output wire                     res_valid,
    output wire [TAG_WIDTH-1:0]     res_tag,
    // Ethertype 0x0800, version 4, IHL >= 5 and the 20-byte base header present
    output wire                     res_is_ipv4,
    // the whole IPv4 header (IHL*4 bytes) is present
    output wire                     res_ip_hdr_present,
    // fewer bytes than L3 offset + IP total length
    output wire                     res_truncated,
    // IP total length >= IHL*4 (room for the header)
    output wire                     res_ip_len_ok,
    // IP total length >= IHL*4 + 8 (room for a UDP header)
    output wire                     res_udp_len_ok,
    // IPv4 and protocol 17
    output wire                     res_is_udp,
    // MF set or fragment offset != 0 (IPv4 only)
    output wire                     res_fragment,
    // the UDP checksum field is present and not zero
    output wire                     res_udp_csum_nz,
    // one's-complement sums: IPv4 header; pseudo-header + UDP header + payload
    output wire [15:0]              res_ip_sum,
    output wire [15:0]              res_l4_sum,
    // frame offsets of the IPv4 and UDP checksum fields (first byte)
    output wire [6:0]               res_ip_csum_pos,
    output wire [6:0]               res_udp_csum_pos
);

localparam BYTES = DATA_WIDTH/8;
localparam LANE_BITS = $clog2(BYTES);
localparam POS_WIDTH = 17;
localparam BEAT_WIDTH = POS_WIDTH - LANE_BITS;
localparam LEN_WIDTH = POS_WIDTH + 1;
// header bytes kept for field decode: up to the UDP checksum field (18 + 60 + 8 bytes), in
// whole beats
localparam HDR_NEED = 88;
localparam HDR_BEATS = (HDR_NEED + BYTES - 1) / BYTES;
localparam HDR_BYTES = HDR_BEATS * BYTES;
localparam [POS_WIDTH-1:0] BYTES_POS = BYTES[POS_WIDTH-1:0];

reg [BEAT_WIDTH-1:0]     beat_reg;
reg [HDR_BYTES*8-1:0]    hdr_reg;

// stage 1
reg                      s1_valid_reg;
reg                      s1_last_reg;
reg [DATA_WIDTH-1:0]     s1_data_reg;
reg [BYTES-1:0]          s1_m_ip_reg;
reg [BYTES-1:0]          s1_m_l4_reg;
reg                      s1_nz_reg;
reg [TAG_WIDTH-1:0]      s1_tag_reg;
reg                      s1_is_ipv4_reg;
reg                      s1_ip_hdr_present_reg;
reg                      s1_truncated_reg;
reg                      s1_ip_len_ok_reg;
reg                      s1_udp_len_ok_reg;
reg                      s1_is_udp_reg;
reg                      s1_fragment_reg;
reg                      s1_udp_present_reg;
reg [15:0]               s1_udp_len_reg;
reg [6:0]                s1_ip_pos_reg;
reg [6:0]                s1_udp_pos_reg;

// stage 2
reg [15:0]               acc_ip_reg;
reg [15:0]               acc_l4_reg;
reg                      res_valid_reg;
reg [TAG_WIDTH-1:0]      res_tag_reg;
reg                      res_is_ipv4_reg;
reg                      res_ip_hdr_present_reg;
reg                      res_truncated_reg;
reg                      res_ip_len_ok_reg;
reg                      res_udp_len_ok_reg;
reg                      res_is_udp_reg;
reg                      res_fragment_reg;
reg                      res_nz_reg;
reg [15:0]               res_ip_sum_reg;
reg [15:0]               res_l4_sum_reg;
reg [6:0]                res_ip_pos_reg;
reg [6:0]                res_udp_pos_reg;

function [15:0] csum_add(input [15:0] a, input [15:0] b);
    reg [16:0] s;
    begin
        s = {1'b0, a} + {1'b0, b};
        csum_add = s[15:0] + {15'd0, s[16]};
    end
endfunction

// lanes of the beat at base whose frame offset is >= lo
function [BYTES-1:0] ge_mask(input [POS_WIDTH-1:0] base, input [POS_WIDTH-1:0] lo);
    reg [POS_WIDTH-1:0] d;
    begin
        d = lo - base;
        if (lo <= base) begin
            ge_mask = {BYTES{1'b1}};
        end else if (d >= BYTES_POS) begin
            ge_mask = {BYTES{1'b0}};
        end else begin
            ge_mask = {BYTES{1'b1}} << d[LANE_BITS-1:0];
        end
    end
endfunction

// header bytes seen so far, with the current beat's lanes merged in
wire [HDR_BYTES*8-1:0] hdr_cur;

genvar g;
generate
    for (g = 0; g < HDR_BEATS; g = g + 1) begin : gen_hdr
        localparam [BEAT_WIDTH-1:0] BEAT_OF = g[BEAT_WIDTH-1:0];
        assign hdr_cur[g*DATA_WIDTH +: DATA_WIDTH] = (s_beat && beat_reg == BEAT_OF) ? s_tdata :
            hdr_reg[g*DATA_WIDTH +: DATA_WIDTH];
    end
    if (HDR_BYTES > HDR_NEED) begin : gen_hdr_unused
        // the rest of the last header beat
        wire unused_hdr = &{1'b0, hdr_cur[HDR_BYTES*8-1:HDR_NEED*8]};
    end
endgenerate

// field decode
wire        vlan = hdr_cur[12*8 +: 16] == 16'h0081; // bytes 12,13 = 0x81,0x00
wire [15:0] ethertype = vlan ? {hdr_cur[16*8 +: 8], hdr_cur[17*8 +: 8]} : {hdr_cur[12*8 +: 8], hdr_cur[13*8 +: 8]};
wire [79:0] ipb = vlan ? hdr_cur[18*8 +: 80] : hdr_cur[14*8 +: 80];
wire [3:0]  ip_ver = ipb[7:4];
wire [3:0]  ihl = ipb[3:0];
wire [15:0] tot_len = {ipb[2*8 +: 8], ipb[3*8 +: 8]};
wire        frag = ipb[6*8+5] || {ipb[6*8 +: 5], ipb[7*8 +: 8]} != 13'd0;
wire [7:0]  proto = ipb[9*8 +: 8];
// TOS, identification, reserved/DF flags and TTL play no part
wire        unused_ipb = &{1'b0, ipb[15:8], ipb[47:32], ipb[55:54], ipb[71:64]};
wire        ip_type = ethertype == 16'h0800 && ip_ver == 4'd4 && ihl >= 4'd5;

wire [POS_WIDTH-1:0] l3 = vlan ? 17'd18 : 17'd14;
wire [POS_WIDTH-1:0] ihl4 = {11'd0, ihl, 2'b00};
wire [POS_WIDTH-1:0] ip_end = l3 + ihl4;
wire [POS_WIDTH-1:0] addr_lo = l3 + 17'd12;
wire [POS_WIDTH-1:0] addr_hi = l3 + 17'd20;
wire [POS_WIDTH-1:0] l4_end = l3 + {1'b0, tot_len};
wire [POS_WIDTH-1:0] ip_pos = l3 + 17'd10;
wire [POS_WIDTH-1:0] udp_pos = ip_end + 17'd6;
wire [POS_WIDTH-1:0] udp_hdr_end = ip_end + 17'd8;

// per-lane masks, as vectors: thermometer codes for the range bounds
wire [POS_WIDTH-1:0] base = {beat_reg, {LANE_BITS{1'b0}}};
wire [BYTES-1:0] ge_ip_end = ge_mask(base, ip_end);
wire [BYTES-1:0] ip_csum_lanes = ge_mask(base, ip_pos) & ~ge_mask(base, ip_pos + 17'd2);
wire [BYTES-1:0] udp_csum_lanes = ge_mask(base, udp_pos) & ~ge_mask(base, udp_pos + 17'd2);
wire [BYTES-1:0] m_ip = s_tkeep & ge_mask(base, l3) & ~ge_ip_end &
    ~(SKIP_CSUM_FIELDS != 0 ? ip_csum_lanes : {BYTES{1'b0}});
wire [BYTES-1:0] m_l4 = s_tkeep & ((ge_ip_end & ~ge_mask(base, l4_end)) |
    (ge_mask(base, addr_lo) & ~ge_mask(base, addr_hi))) &
    ~(SKIP_CSUM_FIELDS != 0 ? udp_csum_lanes : {BYTES{1'b0}});
// the UDP checksum field (udp_pos <= 84, inside the captured header)
wire [15:0] udp_csum_field = hdr_cur[udp_pos[6:0]*8 +: 16];

reg [LANE_BITS:0]    nbytes;
integer i;

always @* begin
    nbytes = {(LANE_BITS+1){1'b0}};
    for (i = 0; i < BYTES; i = i + 1) begin
        nbytes = nbytes + {{LANE_BITS{1'b0}}, s_tkeep[i]};
    end
end

wire [LEN_WIDTH-1:0] frame_len = {1'b0, beat_reg, {LANE_BITS{1'b0}}} + {{(LEN_WIDTH-LANE_BITS-1){1'b0}}, nbytes};

// stage 2
wire [15:0] ip_beat_sum;
wire [15:0] l4_beat_sum;

csum_tree #(.WORDS(BYTES/2)) ip_tree_inst (.data(s1_data_reg), .mask(s1_m_ip_reg), .sum(ip_beat_sum));
csum_tree #(.WORDS(BYTES/2)) l4_tree_inst (.data(s1_data_reg), .mask(s1_m_l4_reg), .sum(l4_beat_sum));

wire [15:0] ip_sum = csum_add(acc_ip_reg, ip_beat_sum);
// pseudo-header: the addresses are already in the L4 sum; add zero/protocol (17) and length
wire [15:0] l4_sum = csum_add(csum_add(acc_l4_reg, l4_beat_sum), csum_add(16'h0011, s1_udp_len_reg));

assign res_valid = res_valid_reg;
assign res_tag = res_tag_reg;
assign res_is_ipv4 = res_is_ipv4_reg;
assign res_ip_hdr_present = res_ip_hdr_present_reg;
assign res_truncated = res_truncated_reg;
assign res_ip_len_ok = res_ip_len_ok_reg;
assign res_udp_len_ok = res_udp_len_ok_reg;
assign res_is_udp = res_is_udp_reg;
assign res_fragment = res_fragment_reg;
assign res_udp_csum_nz = res_nz_reg;
assign res_ip_sum = res_ip_sum_reg;
assign res_l4_sum = res_l4_sum_reg;
assign res_ip_csum_pos = res_ip_pos_reg;
assign res_udp_csum_pos = res_udp_pos_reg;

wire is_ipv4 = ip_type && frame_len >= {1'b0, addr_hi};

always @(posedge clk) begin
    // stage 0 -> 1
    if (s_beat) begin
        hdr_reg <= hdr_cur;
        if (s_tlast) begin
            beat_reg <= {BEAT_WIDTH{1'b0}};
        end else if (beat_reg != {BEAT_WIDTH{1'b1}}) begin
            beat_reg <= beat_reg + 1'b1;
        end
    end
    s1_valid_reg <= s_beat;
    s1_last_reg <= s_tlast;
    s1_data_reg <= s_tdata;
    s1_m_ip_reg <= m_ip;
    s1_m_l4_reg <= m_l4;
    s1_nz_reg <= udp_csum_field != 16'd0;
    s1_tag_reg <= s_tag;
    s1_is_ipv4_reg <= is_ipv4;
    s1_ip_hdr_present_reg <= frame_len >= {1'b0, ip_end};
    s1_truncated_reg <= frame_len < {1'b0, l4_end};
    s1_ip_len_ok_reg <= {1'b0, tot_len} >= ihl4;
    s1_udp_len_ok_reg <= {1'b0, tot_len} >= ihl4 + 17'd8;
    s1_is_udp_reg <= is_ipv4 && proto == 8'd17;
    s1_fragment_reg <= is_ipv4 && frag;
    s1_udp_present_reg <= frame_len >= {1'b0, udp_hdr_end};
    s1_udp_len_reg <= tot_len - ihl4[15:0];
    s1_ip_pos_reg <= ip_pos[6:0];
    s1_udp_pos_reg <= udp_pos[6:0];

    // stage 1 -> 2
    res_valid_reg <= 1'b0;
    if (s1_valid_reg) begin
        if (s1_last_reg) begin
            acc_ip_reg <= 16'd0;
            acc_l4_reg <= 16'd0;
            res_valid_reg <= 1'b1;
        end else begin
            acc_ip_reg <= ip_sum;
            acc_l4_reg <= csum_add(acc_l4_reg, l4_beat_sum);
        end
    end
    if (s1_valid_reg && s1_last_reg) begin
        res_tag_reg <= s1_tag_reg;
        res_is_ipv4_reg <= s1_is_ipv4_reg;
        res_ip_hdr_present_reg <= s1_ip_hdr_present_reg;
        res_truncated_reg <= s1_truncated_reg;
        res_ip_len_ok_reg <= s1_ip_len_ok_reg;
        res_udp_len_ok_reg <= s1_udp_len_ok_reg;
        res_is_udp_reg <= s1_is_udp_reg;
        res_fragment_reg <= s1_fragment_reg;
        res_nz_reg <= s1_udp_present_reg && s1_nz_reg;
        res_ip_sum_reg <= ip_sum;
        res_l4_sum_reg <= l4_sum;
        res_ip_pos_reg <= s1_ip_pos_reg;
        res_udp_pos_reg <= s1_udp_pos_reg;
    end

    if (rst) begin
        beat_reg <= {BEAT_WIDTH{1'b0}};
        s1_valid_reg <= 1'b0;
        acc_ip_reg <= 16'd0;
        acc_l4_reg <= 16'd0;
        res_valid_reg <= 1'b0;
    end
end

endmodule

`resetall
