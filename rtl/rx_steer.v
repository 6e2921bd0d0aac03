// Language: Verilog 2001

`resetall
`timescale 1ns / 1ps
`default_nettype none

/*
 * RX classification: parse, RSS hash, filter/RSS steering, with a pass-through stream.
 *
 * rx_parse taps the stream and emits one header record per frame; rss_toeplitz hashes the IPv4
 * tuple (with the ports for TCP/UDP non-fragments when RSS_CTRL enables them); flow_steer applies
 * the filter table, then the indirection table, then the default queue. The decision channel
 * carries, per frame and in frame order, the steering result together with the parsed header
 * fields. rx_steer_regs holds the configuration behind a register-strobe port (local map in
 * rx_steer_regs.v and docs/rtl-rx-steer.md).
 *
 * Decision latency after the capture completes: snapshot, parse/FIFO, hash, steer (one register
 * each). Throughput: one frame per cycle; the stream only stalls when the decision channel has
 * been held off long enough to fill the parser's record FIFO.
 */
module rx_steer #
(
    // stream width in bits (64..512, power of 2)
    parameter DATA_WIDTH = 64,
    // number of queues (1..256)
    parameter QUEUES = 8,
    // filter table entries (1..64)
    parameter FILTERS = 16,
    // indirection table entries (power of 2, 4..1024)
    parameter RSS_ENTRIES = 128,
    // derived widths
    parameter QW = (QUEUES > 1) ? $clog2(QUEUES) : 1,
    parameter FW = (FILTERS > 1) ? $clog2(FILTERS) : 1
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
     * Stream out (pass-through, unchanged)
     */
    output wire [DATA_WIDTH-1:0]    m_axis_tdata,
    output wire [DATA_WIDTH/8-1:0]  m_axis_tkeep,
    output wire                     m_axis_tvalid,
    input  wire                     m_axis_tready,
    output wire                     m_axis_tlast,

    /*
     * Decision, one per frame, in frame order
     */
    output wire                     m_dec_valid,
    input  wire                     m_dec_ready,
    output wire                     m_dec_drop,
    output wire [QW-1:0]            m_dec_queue,
    output wire [31:0]              m_dec_hash,
    output wire                     m_dec_hash_valid,
    output wire                     m_dec_filter_hit,
    output wire [FW-1:0]            m_dec_filter_index,
    // parsed header fields of the same frame (rx_parse record)
    output wire [47:0]              m_dec_dst_mac,
    output wire [47:0]              m_dec_src_mac,
    output wire [15:0]              m_dec_ethertype,
    output wire                     m_dec_vlan,
    output wire [11:0]              m_dec_vid,
    output wire                     m_dec_is_ipv4,
    output wire [3:0]               m_dec_ihl,
    output wire [7:0]               m_dec_ip_proto,
    output wire [31:0]              m_dec_src_ip,
    output wire [31:0]              m_dec_dst_ip,
    output wire                     m_dec_frag,
    output wire                     m_dec_is_udp,
    output wire                     m_dec_is_tcp,
    output wire [15:0]              m_dec_src_port,
    output wire [15:0]              m_dec_dst_port,
    output wire [7:0]               m_dec_l3_offset,
    output wire [7:0]               m_dec_l4_offset,
    output wire [7:0]               m_dec_hdr_len,
    output wire                     m_dec_truncated,

    /*
     * Register interface (same-cycle answers; err: refused write / unmapped read)
     */
    input  wire [11:0]              reg_wr_addr,
    input  wire [31:0]              reg_wr_data,
    input  wire [3:0]               reg_wr_strb,
    input  wire                     reg_wr_en,
    output wire                     reg_wr_wait,
    output wire                     reg_wr_ack,
    output wire                     reg_wr_err,
    input  wire [11:0]              reg_rd_addr,
    input  wire                     reg_rd_en,
    output wire [31:0]              reg_rd_data,
    output wire                     reg_rd_wait,
    output wire                     reg_rd_ack,
    output wire                     reg_rd_err
);

localparam META_WIDTH = 48+48+16+1+12+1+4+8+32+32+1+1+1+16+16+8+8+8+1;

initial begin
    if (DATA_WIDTH < 64 || DATA_WIDTH > 512 || (DATA_WIDTH & (DATA_WIDTH-1)) != 0) begin
        $error("Error: DATA_WIDTH must be a power of 2 in 64..512, got %0d (instance %m)", DATA_WIDTH);
        $finish;
    end
    if (QUEUES < 1 || QUEUES > 256) begin
        $error("Error: QUEUES must be 1..256, got %0d (instance %m)", QUEUES);
        $finish;
    end
    if (FILTERS < 1 || FILTERS > 64) begin
        $error("Error: FILTERS must be 1..64, got %0d (instance %m)", FILTERS);
        $finish;
    end
    if (RSS_ENTRIES < 4 || RSS_ENTRIES > 1024 || (RSS_ENTRIES & (RSS_ENTRIES-1)) != 0) begin
        $error("Error: RSS_ENTRIES must be a power of 2 in 4..1024, got %0d (instance %m)", RSS_ENTRIES);
        $finish;
    end
end

/*
 * Configuration
 */
wire [319:0]              key;
wire                      rss_tcp_ports;
wire                      rss_udp_ports;
wire [QW-1:0]             default_queue;
wire [RSS_ENTRIES*QW-1:0] reta;
wire [FILTERS-1:0]        filt_enable;
wire [FILTERS-1:0]        filt_drop;
wire [FILTERS*5-1:0]      filt_mask;
wire [FILTERS*QW-1:0]     filt_queue;
wire [FILTERS*48-1:0]     filt_dst_mac;
wire [FILTERS*16-1:0]     filt_ethertype;
wire [FILTERS*8-1:0]      filt_ip_proto;
wire [FILTERS*32-1:0]     filt_dst_ip;
wire [FILTERS*16-1:0]     filt_dst_port;

rx_steer_regs #(
    .QUEUES(QUEUES),
    .FILTERS(FILTERS),
    .RSS_ENTRIES(RSS_ENTRIES),
    .QW(QW)
) regs_inst (
    .clk(clk),
    .rst(rst),
    .reg_wr_addr(reg_wr_addr),
    .reg_wr_data(reg_wr_data),
    .reg_wr_strb(reg_wr_strb),
    .reg_wr_en(reg_wr_en),
    .reg_wr_wait(reg_wr_wait),
    .reg_wr_ack(reg_wr_ack),
    .reg_wr_err(reg_wr_err),
    .reg_rd_addr(reg_rd_addr),
    .reg_rd_en(reg_rd_en),
    .reg_rd_data(reg_rd_data),
    .reg_rd_wait(reg_rd_wait),
    .reg_rd_ack(reg_rd_ack),
    .reg_rd_err(reg_rd_err),
    .key(key),
    .rss_tcp_ports(rss_tcp_ports),
    .rss_udp_ports(rss_udp_ports),
    .default_queue(default_queue),
    .reta(reta),
    .filt_enable(filt_enable),
    .filt_drop(filt_drop),
    .filt_mask(filt_mask),
    .filt_queue(filt_queue),
    .filt_dst_mac(filt_dst_mac),
    .filt_ethertype(filt_ethertype),
    .filt_ip_proto(filt_ip_proto),
    .filt_dst_ip(filt_dst_ip),
    .filt_dst_port(filt_dst_port)
);

/*
 * Parse
 */
wire        meta_valid;
wire        meta_ready;
wire [47:0] p_dst_mac;
wire [47:0] p_src_mac;
wire [15:0] p_ethertype;
wire        p_vlan;
wire [11:0] p_vid;
wire        p_is_ipv4;
wire [3:0]  p_ihl;
wire [7:0]  p_ip_proto;
wire [31:0] p_src_ip;
wire [31:0] p_dst_ip;
wire        p_frag;
wire        p_is_udp;
wire        p_is_tcp;
wire [15:0] p_src_port;
wire [15:0] p_dst_port;
wire [7:0]  p_l3_offset;
wire [7:0]  p_l4_offset;
wire [7:0]  p_hdr_len;
wire        p_truncated;

rx_parse #(
    .DATA_WIDTH(DATA_WIDTH)
) parse_inst (
    .clk(clk),
    .rst(rst),
    .s_axis_tdata(s_axis_tdata),
    .s_axis_tkeep(s_axis_tkeep),
    .s_axis_tvalid(s_axis_tvalid),
    .s_axis_tready(s_axis_tready),
    .s_axis_tlast(s_axis_tlast),
    .m_axis_tdata(m_axis_tdata),
    .m_axis_tkeep(m_axis_tkeep),
    .m_axis_tvalid(m_axis_tvalid),
    .m_axis_tready(m_axis_tready),
    .m_axis_tlast(m_axis_tlast),
    .m_meta_valid(meta_valid),
    .m_meta_ready(meta_ready),
    .m_meta_dst_mac(p_dst_mac),
    .m_meta_src_mac(p_src_mac),
    .m_meta_ethertype(p_ethertype),
    .m_meta_vlan(p_vlan),
    .m_meta_vid(p_vid),
    .m_meta_is_ipv4(p_is_ipv4),
    .m_meta_ihl(p_ihl),
    .m_meta_ip_proto(p_ip_proto),
    .m_meta_src_ip(p_src_ip),
    .m_meta_dst_ip(p_dst_ip),
    .m_meta_frag(p_frag),
    .m_meta_is_udp(p_is_udp),
    .m_meta_is_tcp(p_is_tcp),
    .m_meta_src_port(p_src_port),
    .m_meta_dst_port(p_dst_port),
    .m_meta_l3_offset(p_l3_offset),
    .m_meta_l4_offset(p_l4_offset),
    .m_meta_hdr_len(p_hdr_len),
    .m_meta_truncated(p_truncated)
);

wire [META_WIDTH-1:0] p_meta = {
    p_dst_mac, p_src_mac, p_ethertype, p_vlan, p_vid, p_is_ipv4, p_ihl, p_ip_proto, p_src_ip,
    p_dst_ip, p_frag, p_is_udp, p_is_tcp, p_src_port, p_dst_port, p_l3_offset, p_l4_offset,
    p_hdr_len, p_truncated
};

/*
 * Hash: {src IP, dst IP, src port, dst port}, ports zero for the 2-tuple (non-IPv4: all zero)
 */
wire use_ports = (p_is_tcp && rss_tcp_ports) || (p_is_udp && rss_udp_ports);
wire [95:0] tuple = !p_is_ipv4 ? 96'd0 :
    {p_src_ip, p_dst_ip, use_ports ? {p_src_port, p_dst_port} : 32'd0};

wire [31:0]           h_hash;
wire [META_WIDTH-1:0] h_meta;
wire                  h_valid;
wire                  h_ready;

rss_toeplitz #(
    .USER_WIDTH(META_WIDTH)
) hash_inst (
    .clk(clk),
    .rst(rst),
    .key(key),
    .s_data(tuple),
    .s_user(p_meta),
    .s_valid(meta_valid),
    .s_ready(meta_ready),
    .m_hash(h_hash),
    .m_user(h_meta),
    .m_valid(h_valid),
    .m_ready(h_ready)
);

// the fields the filters look at, unpacked from the record that rode along with the hash
wire [47:0] h_dst_mac = h_meta[META_WIDTH-1 -: 48];
wire [15:0] h_ethertype = h_meta[META_WIDTH-97 -: 16];
wire        h_is_ipv4 = h_meta[META_WIDTH-126];
wire [7:0]  h_ip_proto = h_meta[META_WIDTH-131 -: 8];
wire [31:0] h_dst_ip = h_meta[META_WIDTH-171 -: 32];
wire        h_is_udp = h_meta[META_WIDTH-204];
wire        h_is_tcp = h_meta[META_WIDTH-205];
wire [15:0] h_dst_port = h_meta[META_WIDTH-222 -: 16];

/*
 * Steer
 */
wire [META_WIDTH-1:0] d_meta;

flow_steer #(
    .QUEUES(QUEUES),
    .FILTERS(FILTERS),
    .RSS_ENTRIES(RSS_ENTRIES),
    .USER_WIDTH(META_WIDTH),
    .QW(QW),
    .FW(FW)
) steer_inst (
    .clk(clk),
    .rst(rst),
    .filt_enable(filt_enable),
    .filt_drop(filt_drop),
    .filt_mask(filt_mask),
    .filt_queue(filt_queue),
    .filt_dst_mac(filt_dst_mac),
    .filt_ethertype(filt_ethertype),
    .filt_ip_proto(filt_ip_proto),
    .filt_dst_ip(filt_dst_ip),
    .filt_dst_port(filt_dst_port),
    .reta(reta),
    .default_queue(default_queue),
    .s_valid(h_valid),
    .s_ready(h_ready),
    .s_dst_mac(h_dst_mac),
    .s_ethertype(h_ethertype),
    .s_is_ipv4(h_is_ipv4),
    .s_ip_proto(h_ip_proto),
    .s_dst_ip(h_dst_ip),
    .s_has_ports(h_is_udp || h_is_tcp),
    .s_dst_port(h_dst_port),
    .s_hash(h_hash),
    .s_user(h_meta),
    .m_valid(m_dec_valid),
    .m_ready(m_dec_ready),
    .m_drop(m_dec_drop),
    .m_queue(m_dec_queue),
    .m_hash(m_dec_hash),
    .m_hash_valid(m_dec_hash_valid),
    .m_filter_hit(m_dec_filter_hit),
    .m_filter_index(m_dec_filter_index),
    .m_user(d_meta)
);

assign {
    m_dec_dst_mac, m_dec_src_mac, m_dec_ethertype, m_dec_vlan, m_dec_vid, m_dec_is_ipv4, m_dec_ihl,
    m_dec_ip_proto, m_dec_src_ip, m_dec_dst_ip, m_dec_frag, m_dec_is_udp, m_dec_is_tcp,
    m_dec_src_port, m_dec_dst_port, m_dec_l3_offset, m_dec_l4_offset, m_dec_hdr_len,
    m_dec_truncated
} = d_meta;

endmodule

`resetall
