// Language: Verilog 2001

`resetall
`timescale 1ns / 1ps
`default_nettype none

/*
 * RX header parser: taps an AXI-Stream and emits one metadata record per frame.
 *
 * The stream passes straight through (m_axis = s_axis, same cycle). The first HDR_BEATS beats of
 * each frame are captured: enough for the longest header chain we parse (Ethernet + one 802.1Q
 * tag, IPv4 with options, TCP with options: 18 + 60 + 60 = 138 bytes). On the beat that completes
 * the capture (beat HDR_BEATS-1, or TLAST if the frame is shorter) the captured bytes are copied,
 * with everything past the end of the frame zeroed, into a snapshot register; the next cycle
 * parses the snapshot and pushes the record into a 4-entry FIFO.
 *
 * The stream is stalled only when a capture would complete while the snapshot and FIFO hold 4
 * records between them, so at full line rate, back-to-back, even with 1-beat frames, nothing stalls
 * as long as the record consumer takes one record per cycle. The stall is computed from
 * registered state that only falls while a beat waits, so m_axis_tvalid never drops without a
 * handshake.
 *
 * TKEEP is assumed contiguous from lane 0 and full on every beat but the last.
 */
module rx_parse #
(
    // stream width in bits (64..512, power of 2)
    parameter DATA_WIDTH = 64
)
(
    input  wire                     clk,
    input  wire                     rst,

    /*
     * Stream in
     */
    input  wire [DATA_WIDTH-1:0]    s_axis_tdata,
    input  wire [DATA_WIDTH/8-1:0]  s_axis_tkeep,
    input  wire                     s_axis_tvalid,
    output wire                     s_axis_tready,
    input  wire                     s_axis_tlast,

    /*
     * Stream out (pass-through)
     */
    output wire [DATA_WIDTH-1:0]    m_axis_tdata,
    output wire [DATA_WIDTH/8-1:0]  m_axis_tkeep,
    output wire                     m_axis_tvalid,
    input  wire                     m_axis_tready,
    output wire                     m_axis_tlast,

    /*
     * Metadata record, one per frame, in frame order
     */
    output wire                     m_meta_valid,
    input  wire                     m_meta_ready,
    output wire [47:0]              m_meta_dst_mac,
    output wire [47:0]              m_meta_src_mac,
    output wire [15:0]              m_meta_ethertype,
    output wire                     m_meta_vlan,
    output wire [11:0]              m_meta_vid,
    output wire                     m_meta_is_ipv4,
    output wire [3:0]               m_meta_ihl,
    output wire [7:0]               m_meta_ip_proto,
    output wire [31:0]              m_meta_src_ip,
    output wire [31:0]              m_meta_dst_ip,
    output wire                     m_meta_frag,
    output wire                     m_meta_is_udp,
    output wire                     m_meta_is_tcp,
    output wire [15:0]              m_meta_src_port,
    output wire [15:0]              m_meta_dst_port,
    output wire [7:0]               m_meta_l3_offset,
    output wire [7:0]               m_meta_l4_offset,
    output wire [7:0]               m_meta_hdr_len,
    output wire                     m_meta_truncated
);

localparam KEEP_WIDTH = DATA_WIDTH/8;
localparam KEEP_BITS = $clog2(KEEP_WIDTH+1);
// longest header chain: Ethernet + 802.1Q (18), IPv4 with options (60), TCP with options (60)
localparam HDR_NEED = 138;
localparam HDR_BEATS = (HDR_NEED + KEEP_WIDTH - 1) / KEEP_WIDTH;
localparam HDR_BYTES = HDR_BEATS*KEEP_WIDTH;
localparam HDR_WIDTH = HDR_BYTES*8;
localparam BEAT_WIDTH = $clog2(HDR_BEATS+1);
localparam integer LAST_HDR_BEAT_I = HDR_BEATS-1;
localparam integer SKIP_BEAT_I = HDR_BEATS;
localparam [BEAT_WIDTH-1:0] LAST_HDR_BEAT = LAST_HDR_BEAT_I[BEAT_WIDTH-1:0];
localparam [BEAT_WIDTH-1:0] SKIP_BEAT = SKIP_BEAT_I[BEAT_WIDTH-1:0];
localparam REC_WIDTH = 48+48+16+1+12+1+4+8+32+32+1+1+1+16+16+8+8+8+1;
localparam FIFO_DEPTH = 4;
localparam integer KEEP_WIDTH_I = KEEP_WIDTH;
localparam [15:0] KEEP16 = KEEP_WIDTH_I[15:0];

localparam [15:0] ETH_P_8021Q = 16'h8100;
localparam [15:0] ETH_P_IP = 16'h0800;
localparam [7:0] IPPROTO_TCP = 8'd6;
localparam [7:0] IPPROTO_UDP = 8'd17;

initial begin
    if (DATA_WIDTH < 64 || DATA_WIDTH > 512 || (DATA_WIDTH & (DATA_WIDTH-1)) != 0) begin
        $error("Error: DATA_WIDTH must be a power of 2 in 64..512, got %0d (instance %m)", DATA_WIDTH);
        $finish;
    end
end

// capture: beat index within the frame; SKIP_BEAT once the record is out (until TLAST)
reg [BEAT_WIDTH-1:0]  beat_reg;
reg [HDR_WIDTH-1:0]   hdr_reg;

// snapshot of a completed capture, parsed in the following cycle
reg                   snap_valid_reg;
reg [HDR_WIDTH-1:0]   snap_reg;
reg [7:0]             snap_len_reg;

// record FIFO
reg [REC_WIDTH-1:0]   fifo_mem[0:FIFO_DEPTH-1];
reg [1:0]             fifo_wr_ptr_reg;
reg [1:0]             fifo_rd_ptr_reg;
reg [2:0]             fifo_count_reg;

wire capturing = beat_reg != SKIP_BEAT;
wire completes = capturing && (s_axis_tlast || beat_reg == LAST_HDR_BEAT);
// room for one more record; registered state only, so it cannot rise while a beat waits
wire room = ({1'b0, fifo_count_reg} + {3'd0, snap_valid_reg}) < FIFO_DEPTH;
wire stall = completes && !room;

assign m_axis_tdata = s_axis_tdata;
assign m_axis_tkeep = s_axis_tkeep;
assign m_axis_tlast = s_axis_tlast;
assign m_axis_tvalid = s_axis_tvalid && !stall;
assign s_axis_tready = m_axis_tready && !stall;

wire beat_in = s_axis_tvalid && s_axis_tready;

// bytes in this beat (TKEEP contiguous from lane 0)
reg [KEEP_BITS-1:0] keep_count;
integer k;
always @* begin
    keep_count = {KEEP_BITS{1'b0}};
    for (k = 0; k < KEEP_WIDTH; k = k + 1) begin
        keep_count = keep_count + {{(KEEP_BITS-1){1'b0}}, s_axis_tkeep[k]};
    end
end

// captured length: whole beats so far plus this one (at most HDR_BYTES <= 192)
wire [15:0] cap_len16 = {{(16-BEAT_WIDTH){1'b0}}, beat_reg} * KEEP16 + {{(16-KEEP_BITS){1'b0}}, keep_count};
wire [7:0]  cap_len = cap_len16[7:0];

// the captured header with this beat merged in, and with the bytes past the frame zeroed
reg [HDR_WIDTH-1:0] merged;
integer j;
always @* begin
    merged = hdr_reg;
    for (j = 0; j < HDR_BEATS; j = j + 1) begin
        if (beat_reg == j[BEAT_WIDTH-1:0]) begin
            merged[j*DATA_WIDTH +: DATA_WIDTH] = s_axis_tdata;
        end
    end
end
// cap_len <= HDR_BYTES; a shift by the whole width leaves every byte
wire [HDR_WIDTH-1:0] keep_mask = ~({HDR_WIDTH{1'b1}} << {cap_len, 3'b000});
wire [HDR_WIDTH-1:0] snap_next = merged & keep_mask;

/*
 * Parse the snapshot (bytes past the frame read as zero)
 */
function [7:0] hbyte;
    input [HDR_WIDTH-1:0] h;
    input integer i;
    begin
        hbyte = h[i*8 +: 8];
    end
endfunction

wire [15:0] tpid = {hbyte(snap_reg, 12), hbyte(snap_reg, 13)};
wire        p_vlan = tpid == ETH_P_8021Q;
wire [7:0]  p_l3 = p_vlan ? 8'd18 : 8'd14;
wire [15:0] p_ethertype = p_vlan ? {hbyte(snap_reg, 16), hbyte(snap_reg, 17)} : tpid;
wire [15:0] tci = {hbyte(snap_reg, 14), hbyte(snap_reg, 15)};
wire [11:0] p_vid = p_vlan ? tci[11:0] : 12'd0;
wire [47:0] p_dst_mac = {hbyte(snap_reg, 0), hbyte(snap_reg, 1), hbyte(snap_reg, 2),
                         hbyte(snap_reg, 3), hbyte(snap_reg, 4), hbyte(snap_reg, 5)};
wire [47:0] p_src_mac = {hbyte(snap_reg, 6), hbyte(snap_reg, 7), hbyte(snap_reg, 8),
                         hbyte(snap_reg, 9), hbyte(snap_reg, 10), hbyte(snap_reg, 11)};

// the fixed IPv4 header (byte k at [8k +: 8])
wire [159:0] ip = p_vlan ? snap_reg[18*8 +: 160] : snap_reg[14*8 +: 160];
wire [3:0]  ip_version = ip[7:4];
wire [3:0]  ip_ihl = ip[3:0];
wire        ip_mf = ip[6*8+5];
wire [12:0] ip_frag_off = {ip[6*8 +: 5], ip[7*8 +: 8]};
wire [7:0]  ip_proto = ip[9*8 +: 8];
wire [31:0] ip_src = {ip[12*8 +: 8], ip[13*8 +: 8], ip[14*8 +: 8], ip[15*8 +: 8]};
wire [31:0] ip_dst = {ip[16*8 +: 8], ip[17*8 +: 8], ip[18*8 +: 8], ip[19*8 +: 8]};

// 9-bit arithmetic: l4 + 60 can exceed 255 only for nonsense, but stay exact
wire [8:0]  len9 = {1'b0, snap_len_reg};
wire [8:0]  l3_9 = {1'b0, p_l3};
wire [8:0]  ip_hlen = {3'd0, ip_ihl, 2'b00};
wire [8:0]  l4_9 = l3_9 + ip_hlen;

// the first 20 bytes at the L4 offset (l4 <= 78, so the window stays inside the snapshot)
wire [10:0] l4_bit = {l4_9[7:0], 3'b000};
wire [159:0] l4h = snap_reg[l4_bit +: 160];
wire [15:0] l4_sport = {l4h[0 +: 8], l4h[8 +: 8]};
wire [15:0] l4_dport = {l4h[16 +: 8], l4h[24 +: 8]};
wire [3:0]  tcp_doff = l4h[12*8+4 +: 4];
wire [8:0]  tcp_hlen = {3'd0, tcp_doff, 2'b00};

wire l2_short = len9 < l3_9;
wire ip_type = !l2_short && p_ethertype == ETH_P_IP;
wire ip_hdr_ok = ip_type && ip_version == 4'd4 && ip_ihl >= 4'd5;
wire p_is_ipv4 = ip_hdr_ok && len9 >= l4_9;
wire p_frag = p_is_ipv4 && (ip_mf || ip_frag_off != 13'd0);
wire l4_parse = p_is_ipv4 && !p_frag;
wire udp_type = l4_parse && ip_proto == IPPROTO_UDP;
wire tcp_type = l4_parse && ip_proto == IPPROTO_TCP;
wire p_is_udp = udp_type && len9 >= l4_9 + 9'd8;
wire p_is_tcp = tcp_type && len9 >= l4_9 + 9'd20 && tcp_doff >= 4'd5 && len9 >= l4_9 + tcp_hlen;
// the frame ends inside a header that the headers before it announce
wire p_truncated = l2_short ||
    (ip_type && len9 < l3_9 + 9'd20) ||
    (ip_hdr_ok && len9 < l4_9) ||
    (udp_type && len9 < l4_9 + 9'd8) ||
    (tcp_type && (len9 < l4_9 + 9'd20 || (tcp_doff >= 4'd5 && len9 < l4_9 + tcp_hlen)));

wire [8:0] p_hdr_len9 = p_is_udp ? l4_9 + 9'd8 :
                        p_is_tcp ? l4_9 + tcp_hlen :
                        p_is_ipv4 ? l4_9 : l3_9;

wire [REC_WIDTH-1:0] rec_in = {
    p_dst_mac,
    p_src_mac,
    p_ethertype,
    p_vlan,
    p_vid,
    p_is_ipv4,
    p_is_ipv4 ? ip_ihl : 4'd0,
    p_is_ipv4 ? ip_proto : 8'd0,
    p_is_ipv4 ? ip_src : 32'd0,
    p_is_ipv4 ? ip_dst : 32'd0,
    p_frag,
    p_is_udp,
    p_is_tcp,
    (p_is_udp || p_is_tcp) ? l4_sport : 16'd0,
    (p_is_udp || p_is_tcp) ? l4_dport : 16'd0,
    p_l3,
    p_is_ipv4 ? l4_9[7:0] : 8'd0,
    p_hdr_len9[7:0],
    p_truncated
};

wire [REC_WIDTH-1:0] rec_out = fifo_mem[fifo_rd_ptr_reg];

assign m_meta_valid = fifo_count_reg != 3'd0;
assign {
    m_meta_dst_mac,
    m_meta_src_mac,
    m_meta_ethertype,
    m_meta_vlan,
    m_meta_vid,
    m_meta_is_ipv4,
    m_meta_ihl,
    m_meta_ip_proto,
    m_meta_src_ip,
    m_meta_dst_ip,
    m_meta_frag,
    m_meta_is_udp,
    m_meta_is_tcp,
    m_meta_src_port,
    m_meta_dst_port,
    m_meta_l3_offset,
    m_meta_l4_offset,
    m_meta_hdr_len,
    m_meta_truncated
} = rec_out;

wire fifo_pop = m_meta_valid && m_meta_ready;

// the upper bits of the TCP window and of the 9-bit sums are never needed
wire unused = &{1'b0, tci[15:12], l4h[159:13*8], l4h[12*8 +: 4], l4h[12*8-1:4*8], l4_9[8], p_hdr_len9[8],
                cap_len16[15:8], ip[6*8-1:8], ip[7*8-1:6*8+6], ip[9*8-1:8*8], ip[12*8-1:10*8]};

always @(posedge clk) begin
    if (beat_in) begin
        if (s_axis_tlast) begin
            beat_reg <= {BEAT_WIDTH{1'b0}};
        end else if (capturing) begin
            beat_reg <= beat_reg + 1'b1;
        end
    end

    snap_valid_reg <= beat_in && completes;
    if (beat_in && capturing) begin
        hdr_reg <= merged;
    end
    if (beat_in && completes) begin
        snap_reg <= snap_next;
        snap_len_reg <= cap_len;
    end

    if (snap_valid_reg) begin
        fifo_mem[fifo_wr_ptr_reg] <= rec_in;
        fifo_wr_ptr_reg <= fifo_wr_ptr_reg + 1'b1;
    end
    if (fifo_pop) begin
        fifo_rd_ptr_reg <= fifo_rd_ptr_reg + 1'b1;
    end
    fifo_count_reg <= fifo_count_reg + {2'd0, snap_valid_reg} - {2'd0, fifo_pop};

    if (rst) begin
        beat_reg <= {BEAT_WIDTH{1'b0}};
        snap_valid_reg <= 1'b0;
        fifo_wr_ptr_reg <= 2'd0;
        fifo_rd_ptr_reg <= 2'd0;
        fifo_count_reg <= 3'd0;
    end
end

endmodule

`resetall
