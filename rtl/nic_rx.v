// Language: Verilog 2001

`resetall
`timescale 1ns / 1ps
`default_nettype none

`include "zcnic_abi.vh"

/*
 * RX queue engine: MAC stream -> classification -> store-and-forward frame FIFO -> per-queue
 * descriptor rings in host memory, with completion queues (docs/rtl-nic-rx.md).
 *
 * Ingress: rx_steer (parse, filters, RSS; pass-through) and rx_csum (tap) see every frame; the
 * frame's words go into a frame RAM (FIFO of words, committed per frame). Bad frames (tuser on the
 * last beat) and frames longer than MAX_FRAME are rewound at their last beat, so they never reach
 * memory. One record per frame {length, bad} meets the steering decision and the checksum verdict
 * of the same frame in the merge stage, which queues a metadata record per good frame. The MAC is
 * only held off (s_axis_tready low) when the frame RAM or the record FIFOs are full.
 *
 * Engine (frames in order, three in flight): the front end does the filter/queue checks, the
 * descriptor count n = max(1, ceil(payload/BUF_SIZE)) (iterative subtraction), availability
 * (PROD - CONS) and one dma_rd descriptor per contiguous run of ring entries; the back end writes
 * the header and the data buffers through dma_wr (the payload realigned to lane 0 by a two-word
 * byte shifter) and, only after all their status records came back OK, the n CQEs (one dma_wr
 * descriptor per contiguous CQ run); the tail collects the CQE status records and delivers the
 * frame. A frame's writes start only once the earlier frame of its queue has its outcome, so the
 * error rules are those of a serial engine. A failing status record puts the queue into its
 * error state; the frame's words are freed either way.
 */
module nic_rx #
(
    // data path width in bits (64..512, power of 2)
    parameter DATA_WIDTH = 64,
    // RX queues (1..16)
    parameter QUEUES = 4,
    // largest ring, log2 of entries (4..15)
    parameter MAX_RING_LOG2 = 10,
    // steering filter entries and RSS indirection entries (rx_steer)
    parameter FILTERS = 16,
    parameter RSS_ENTRIES = 128,
    // largest DMA burst in bytes (dma_rd / dma_wr)
    parameter CHUNK_BYTES = 512,
    // AXI ID width (ID 0 is used)
    parameter ID_WIDTH = 1,
    // largest accepted frame in bytes
    parameter MAX_FRAME = `ZCNIC_MAX_FRAME,
    // frame buffer in bytes (rounded up to a power of 2 words; holds at least one MAX_FRAME frame)
    parameter FIFO_BYTES = 4*MAX_FRAME
)
(
    input  wire                       clk,
    input  wire                       rst,

    /*
     * Queue registers (same-cycle answers)
     */
    input  wire [9:0]                 reg_wr_addr,
    input  wire [31:0]                reg_wr_data,
    input  wire [3:0]                 reg_wr_strb,
    input  wire                       reg_wr_en,
    output wire [1:0]                 reg_wr_resp,
    input  wire [9:0]                 reg_rd_addr,
    input  wire                       reg_rd_en,
    output wire [31:0]                reg_rd_data,
    output wire [1:0]                 reg_rd_resp,

    /*
     * Steering registers (rx_steer's local map)
     */
    input  wire [11:0]                steer_reg_wr_addr,
    input  wire [31:0]                steer_reg_wr_data,
    input  wire [3:0]                 steer_reg_wr_strb,
    input  wire                       steer_reg_wr_en,
    output wire                       steer_reg_wr_err,
    input  wire [11:0]                steer_reg_rd_addr,
    input  wire                       steer_reg_rd_en,
    output wire [31:0]                steer_reg_rd_data,
    output wire                       steer_reg_rd_err,

    /*
     * Status, interrupts, statistics
     */
    output wire [QUEUES-1:0]          err_queues,
    output wire                       err_evt,
    output reg  [QUEUES-1:0]          cq_evt,
    output wire [QUEUES*16-1:0]       irq_frames,
    output wire [QUEUES*16-1:0]       irq_cycles,
    output wire                       arm_valid,
    output wire [3:0]                 arm_queue,
    output reg                        stat_frame,
    output reg  [15:0]                stat_bytes,
    output reg                        stat_drop_nodesc,
    output reg                        stat_drop_filter,
    output reg                        stat_drop_queue,
    output reg                        stat_drop_bad,
    output reg                        stat_drop_dma,
    output reg                        stat_dma_err,

    /*
     * MAC receive stream
     */
    input  wire [DATA_WIDTH-1:0]      s_axis_tdata,
    input  wire [DATA_WIDTH/8-1:0]    s_axis_tkeep,
    input  wire                       s_axis_tvalid,
    output wire                       s_axis_tready,
    input  wire                       s_axis_tlast,
    input  wire                       s_axis_tuser,

    /*
     * AXI4 master
     */
    output wire [ID_WIDTH-1:0]        m_axi_awid,
    output wire [31:0]                m_axi_awaddr,
    output wire [7:0]                 m_axi_awlen,
    output wire [2:0]                 m_axi_awsize,
    output wire [1:0]                 m_axi_awburst,
    output wire                       m_axi_awlock,
    output wire [3:0]                 m_axi_awcache,
    output wire [2:0]                 m_axi_awprot,
    output wire                       m_axi_awvalid,
    input  wire                       m_axi_awready,
    output wire [DATA_WIDTH-1:0]      m_axi_wdata,
    output wire [DATA_WIDTH/8-1:0]    m_axi_wstrb,
    output wire                       m_axi_wlast,
    output wire                       m_axi_wvalid,
    input  wire                       m_axi_wready,
    input  wire [ID_WIDTH-1:0]        m_axi_bid,
    input  wire [1:0]                 m_axi_bresp,
    input  wire                       m_axi_bvalid,
    output wire                       m_axi_bready,
    output wire [ID_WIDTH-1:0]        m_axi_arid,
    output wire [31:0]                m_axi_araddr,
    output wire [7:0]                 m_axi_arlen,
    output wire [2:0]                 m_axi_arsize,
    output wire [1:0]                 m_axi_arburst,
    output wire                       m_axi_arlock,
    output wire [3:0]                 m_axi_arcache,
    output wire [2:0]                 m_axi_arprot,
    output wire                       m_axi_arvalid,
    input  wire                       m_axi_arready,
    input  wire [ID_WIDTH-1:0]        m_axi_rid,
    input  wire [DATA_WIDTH-1:0]      m_axi_rdata,
    input  wire [1:0]                 m_axi_rresp,
    input  wire                       m_axi_rlast,
    input  wire                       m_axi_rvalid,
    output wire                       m_axi_rready
);

localparam B = DATA_WIDTH/8;
localparam LB = $clog2(B);
localparam QW = (QUEUES > 1) ? $clog2(QUEUES) : 1;
localparam FW = (FILTERS > 1) ? $clog2(FILTERS) : 1;
// frame RAM: words, rounded up to a power of 2 so that the pointers wrap by themselves
localparam FA = $clog2((FIFO_BYTES + B - 1) / B);
localparam FIFO_WORDS = 1 << FA;
// words one accepted frame may occupy
localparam MAX_WORDS = (MAX_FRAME + B - 1) / B;
// descriptors one frame may take: the smallest BUF_SIZE is 256
localparam MAX_DESC = (MAX_FRAME + 255) / 256;
localparam NW = $clog2(MAX_DESC + 1);
// descriptor buffer: room for a whole last beat of entries past MAX_DESC
localparam DBW = NW + 1;
localparam DBN = 1 << DBW;
localparam LEN_WIDTH = 16;
localparam TAG_WIDTH = 8;
// merged per-frame record: len, drop, queue, hash, hash_valid, filter_hit, filter_index,
// l4 (UDP or TCP), hdr_len, csum flags
localparam META_W = 16 + 1 + QW + 32 + 1 + 1 + FW + 1 + 8 + 6;
localparam RAW_DEPTH = 8;
localparam [31:0] BM1 = B - 1;

initial begin
    if (DATA_WIDTH < 64 || DATA_WIDTH > 512 || (DATA_WIDTH & (DATA_WIDTH-1)) != 0) begin
        $error("Error: DATA_WIDTH must be a power of 2 in 64..512, got %0d (instance %m)", DATA_WIDTH);
        $finish;
    end
    if (QUEUES < 1 || QUEUES > 16) begin
        $error("Error: QUEUES must be 1..16, got %0d (instance %m)", QUEUES);
        $finish;
    end
    if (MAX_RING_LOG2 < 4 || MAX_RING_LOG2 > 15) begin
        $error("Error: MAX_RING_LOG2 must be 4..15, got %0d (instance %m)", MAX_RING_LOG2);
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
    if (ID_WIDTH < 1) begin
        $error("Error: ID_WIDTH must be >= 1, got %0d (instance %m)", ID_WIDTH);
        $finish;
    end
    if (MAX_FRAME < 64 || MAX_FRAME > 16383) begin
        $error("Error: MAX_FRAME must be 64..16383, got %0d (instance %m)", MAX_FRAME);
        $finish;
    end
    if (FIFO_BYTES < MAX_FRAME + B) begin
        $error("Error: FIFO_BYTES must hold one MAX_FRAME frame plus a word, got %0d (instance %m)", FIFO_BYTES);
        $finish;
    end
    // CHUNK_BYTES is checked by dma_rd / dma_wr (dma_burst)
end

// front end (classify, count, fetch descriptors) and back end (data, CQEs) hold one frame each
localparam [2:0] ST_IDLE = 3'd0, ST_CLASS = 3'd1, ST_COUNT = 3'd2, ST_CHECK = 3'd3, ST_FETCH = 3'd4,
    ST_READY = 3'd5, ST_DROP = 3'd6;
localparam [2:0] B_IDLE = 3'd0, B_START = 3'd1, B_DATA = 3'd2, B_CQE = 3'd3, B_FAIL = 3'd4,
    B_FREE = 3'd5;

reg [2:0] st;
reg [2:0] bst;

/*
 * Classification: rx_steer passes the stream through and decides; rx_csum taps the same beats
 */
wire [DATA_WIDTH-1:0]   st_tdata;
wire [B-1:0]            st_tkeep;
wire                    st_tvalid;
wire                    st_tlast;
wire                    ing_ready;

wire                    dec_valid;
wire                    dec_ready;
wire                    dec_drop;
wire [QW-1:0]           dec_queue;
wire [31:0]             dec_hash;
wire                    dec_hash_valid;
wire                    dec_filter_hit;
wire [FW-1:0]           dec_filter_index;
wire                    dec_is_udp;
wire                    dec_is_tcp;
wire [7:0]              dec_hdr_len;
wire [47:0]             dec_dst_mac, dec_src_mac;
wire [15:0]             dec_ethertype, dec_src_port, dec_dst_port;
wire                    dec_vlan, dec_is_ipv4, dec_frag, dec_truncated;
wire [11:0]             dec_vid;
wire [3:0]              dec_ihl;
wire [7:0]              dec_ip_proto, dec_l3_offset, dec_l4_offset;
wire [31:0]             dec_src_ip, dec_dst_ip;
wire                    steer_wr_wait, steer_wr_ack, steer_rd_wait, steer_rd_ack;

// only the steering fields and hdr_len / L4 type are needed here
wire unused_dec = &{1'b0, dec_dst_mac, dec_src_mac, dec_ethertype, dec_src_port, dec_dst_port,
    dec_vlan, dec_is_ipv4, dec_frag, dec_truncated, dec_vid, dec_ihl, dec_ip_proto, dec_l3_offset,
    dec_l4_offset, dec_src_ip, dec_dst_ip, steer_wr_wait, steer_wr_ack, steer_rd_wait, steer_rd_ack};

rx_steer #(
    .DATA_WIDTH(DATA_WIDTH),
    .QUEUES(QUEUES),
    .FILTERS(FILTERS),
    .RSS_ENTRIES(RSS_ENTRIES)
)
rx_steer_inst (
    .clk(clk),
    .rst(rst),
    .s_axis_tdata(s_axis_tdata),
    .s_axis_tkeep(s_axis_tkeep),
    .s_axis_tvalid(s_axis_tvalid),
    .s_axis_tready(s_axis_tready),
    .s_axis_tlast(s_axis_tlast),
    .m_axis_tdata(st_tdata),
    .m_axis_tkeep(st_tkeep),
    .m_axis_tvalid(st_tvalid),
    .m_axis_tready(ing_ready),
    .m_axis_tlast(st_tlast),
    .m_dec_valid(dec_valid),
    .m_dec_ready(dec_ready),
    .m_dec_drop(dec_drop),
    .m_dec_queue(dec_queue),
    .m_dec_hash(dec_hash),
    .m_dec_hash_valid(dec_hash_valid),
    .m_dec_filter_hit(dec_filter_hit),
    .m_dec_filter_index(dec_filter_index),
    .m_dec_dst_mac(dec_dst_mac),
    .m_dec_src_mac(dec_src_mac),
    .m_dec_ethertype(dec_ethertype),
    .m_dec_vlan(dec_vlan),
    .m_dec_vid(dec_vid),
    .m_dec_is_ipv4(dec_is_ipv4),
    .m_dec_ihl(dec_ihl),
    .m_dec_ip_proto(dec_ip_proto),
    .m_dec_src_ip(dec_src_ip),
    .m_dec_dst_ip(dec_dst_ip),
    .m_dec_frag(dec_frag),
    .m_dec_is_udp(dec_is_udp),
    .m_dec_is_tcp(dec_is_tcp),
    .m_dec_src_port(dec_src_port),
    .m_dec_dst_port(dec_dst_port),
    .m_dec_l3_offset(dec_l3_offset),
    .m_dec_l4_offset(dec_l4_offset),
    .m_dec_hdr_len(dec_hdr_len),
    .m_dec_truncated(dec_truncated),
    .reg_wr_addr(steer_reg_wr_addr),
    .reg_wr_data(steer_reg_wr_data),
    .reg_wr_strb(steer_reg_wr_strb),
    .reg_wr_en(steer_reg_wr_en),
    .reg_wr_wait(steer_wr_wait),
    .reg_wr_ack(steer_wr_ack),
    .reg_wr_err(steer_reg_wr_err),
    .reg_rd_addr(steer_reg_rd_addr),
    .reg_rd_en(steer_reg_rd_en),
    .reg_rd_data(steer_reg_rd_data),
    .reg_rd_wait(steer_rd_wait),
    .reg_rd_ack(steer_rd_ack),
    .reg_rd_err(steer_reg_rd_err)
);

wire        cs_valid;
wire        cs_ready;
wire        cs_is_ipv4, cs_ip_ok, cs_is_udp, cs_l4_present, cs_l4_ok, cs_fragment, cs_truncated;
wire [31:0] cs_drop_count;

// the record FIFOs below bound the frames in flight to fewer than rx_csum's 16 results
wire unused_cs = &{1'b0, cs_truncated, cs_drop_count};

rx_csum #(
    .DATA_WIDTH(DATA_WIDTH),
    .RES_FIFO_DEPTH(16)
)
rx_csum_inst (
    .clk(clk),
    .rst(rst),
    .s_axis_tdata(st_tdata),
    .s_axis_tkeep(st_tkeep),
    .s_axis_tvalid(st_tvalid),
    .s_axis_tready(ing_ready),
    .s_axis_tlast(st_tlast),
    .m_res_valid(cs_valid),
    .m_res_ready(cs_ready),
    .m_res_is_ipv4(cs_is_ipv4),
    .m_res_ip_csum_ok(cs_ip_ok),
    .m_res_is_udp(cs_is_udp),
    .m_res_l4_csum_present(cs_l4_present),
    .m_res_l4_csum_ok(cs_l4_ok),
    .m_res_fragment(cs_fragment),
    .m_res_truncated(cs_truncated),
    .res_drop_count(cs_drop_count)
);

/*
 * Ingress: frame RAM written per beat, committed at the last beat of a good frame
 */
(* ramstyle = "no_rw_check" *)
reg [DATA_WIDTH-1:0] fmem [0:FIFO_WORDS-1];

reg [FA:0]  wr_ptr;        // next word to write
reg [FA:0]  commit_ptr;    // start of the frame being received (end of committed frames)
reg [FA:0]  free_ptr;      // first word still owned by the engine
reg [15:0]  in_words;      // words of the current frame seen so far
reg         in_over;       // the current frame exceeded MAX_WORDS

wire        lenf_s_ready;
wire [FA:0] fifo_used = wr_ptr - free_ptr;
wire        fifo_full = fifo_used == FIFO_WORDS[FA:0];

// the len FIFO is checked on every beat so that a frame's last beat always finds a slot
assign ing_ready = !fifo_full && lenf_s_ready;
wire in_beat = st_tvalid && ing_ready;

reg [LB:0] keep_cnt;
integer ki;
always @* begin
    keep_cnt = 0;
    for (ki = 0; ki < B; ki = ki + 1) begin
        if (st_tkeep[ki]) begin
            keep_cnt = ki[LB:0] + 1'b1;
        end
    end
end

wire        in_store = !in_over && in_words < MAX_WORDS[15:0];
wire [15:0] in_len = {in_words[15-LB:0], {LB{1'b0}}} + {{(15-LB){1'b0}}, keep_cnt};
wire        in_bad = s_axis_tuser || !in_store || in_len > MAX_FRAME[15:0];
wire [FA:0] wr_ptr_inc = wr_ptr + 1'b1;

always @(posedge clk) begin
    if (in_beat && in_store) begin
        fmem[wr_ptr[FA-1:0]] <= st_tdata;
    end
end

always @(posedge clk) begin
    if (in_beat) begin
        if (st_tlast) begin
            in_words <= 16'd0;
            in_over <= 1'b0;
            if (in_bad) begin
                wr_ptr <= commit_ptr;
            end else begin
                wr_ptr <= wr_ptr_inc;
                commit_ptr <= wr_ptr_inc;
            end
        end else if (in_store) begin
            wr_ptr <= wr_ptr_inc;
            in_words <= in_words + 1'b1;
        end else begin
            in_over <= 1'b1;
        end
    end
    if (rst) begin
        wr_ptr <= 0;
        commit_ptr <= 0;
        in_words <= 16'd0;
        in_over <= 1'b0;
    end
end

// per-frame length record {bad, len}
wire [16:0] lenf_m_data;
wire        lenf_m_valid;
wire        lenf_m_ready;
wire [3:0]  lenf_count;

dma_fifo #(
    .WIDTH(17),
    .DEPTH(8)
)
len_fifo_inst (
    .clk(clk),
    .rst(rst),
    .s_data({in_bad, in_len}),
    .s_valid(in_beat && st_tlast),
    .s_ready(lenf_s_ready),
    .m_data(lenf_m_data),
    .m_valid(lenf_m_valid),
    .m_ready(lenf_m_ready),
    .count(lenf_count)
);

/*
 * Merge: one record per frame from each of the three sources
 */
wire              meta_s_ready;
wire              lenf_bad = lenf_m_data[16];
wire              merge_go = lenf_m_valid && dec_valid && cs_valid && (lenf_bad || meta_s_ready);
assign lenf_m_ready = merge_go;
assign dec_ready = merge_go;
assign cs_ready = merge_go;

localparam [31:0] CS_IPV4 = `ZCNIC_RX_CSUM_IPV4;
localparam [31:0] CS_IP_OK = `ZCNIC_RX_CSUM_IP_OK;
localparam [31:0] CS_UDP = `ZCNIC_RX_CSUM_UDP;
localparam [31:0] CS_L4_PRESENT = `ZCNIC_RX_CSUM_L4_PRESENT;
localparam [31:0] CS_L4_OK = `ZCNIC_RX_CSUM_L4_OK;
localparam [31:0] CS_FRAGMENT = `ZCNIC_RX_CSUM_FRAGMENT;
wire [5:0] cs_flags =
    (cs_is_ipv4 ? CS_IPV4[5:0] : 6'd0) |
    (cs_ip_ok ? CS_IP_OK[5:0] : 6'd0) |
    (cs_is_udp ? CS_UDP[5:0] : 6'd0) |
    (cs_l4_present ? CS_L4_PRESENT[5:0] : 6'd0) |
    (cs_l4_ok ? CS_L4_OK[5:0] : 6'd0) |
    (cs_fragment ? CS_FRAGMENT[5:0] : 6'd0);

wire [META_W-1:0] meta_in = {lenf_m_data[15:0], dec_drop, dec_queue, dec_hash, dec_hash_valid,
    dec_filter_hit, dec_filter_index, dec_is_udp || dec_is_tcp, dec_hdr_len, cs_flags};
wire [META_W-1:0] meta_out;
wire              meta_valid;
wire              meta_pop;
wire [5:0]        meta_count;

dma_fifo #(
    .WIDTH(META_W),
    .DEPTH(32)
)
meta_fifo_inst (
    .clk(clk),
    .rst(rst),
    .s_data(meta_in),
    .s_valid(merge_go && !lenf_bad),
    .s_ready(meta_s_ready),
    .m_data(meta_out),
    .m_valid(meta_valid),
    .m_ready(meta_pop),
    .count(meta_count)
);

wire unused_counts = &{1'b0, lenf_count, meta_count};

wire [15:0]   m_len;
wire          m_drop;
wire [QW-1:0] m_q;
wire [31:0]   m_hash;
wire          m_hv;
wire          m_fhit;
wire [FW-1:0] m_fidx;
wire          m_l4;
wire [7:0]    m_hdrlen;
wire [5:0]    m_csum;
assign {m_len, m_drop, m_q, m_hash, m_hv, m_fhit, m_fidx, m_l4, m_hdrlen, m_csum} = meta_out;
wire [15:0]   m_q16 = {{(16-QW){1'b0}}, m_q};

assign meta_pop = st == ST_IDLE && meta_valid;

/*
 * Per-queue registers: nic_qregs (instantiated below, once the engine state is declared)
 */
wire [QUEUES*32-1:0] q_ring_base, q_cq_base;
wire [QUEUES*4-1:0]  q_size_log2;
wire [QUEUES-1:0]    q_enable, q_hdr_split;
wire [QUEUES*13-1:0] q_buf_size;
wire [QUEUES*9-1:0]  q_hdr_size;
wire [QUEUES*16-1:0] q_prod, q_cons, q_cq_prod;
wire                 prod_wr, reset_wr;
wire [3:0]           wr_queue;
wire [QUEUES-1:0]    q_busy;

/*
 * Engine working state
 */
reg [15:0]     c_len;
reg            c_drop;
reg [3:0]      c_q;
reg [31:0]     c_hash;
reg            c_hv;
reg            c_fhit;
reg [FW-1:0]   c_fidx;
reg            c_l4;
reg [7:0]      c_hdrlen;
reg [5:0]      c_csum;
reg            c_split;
reg [7:0]      c_hlen;
reg [15:0]     c_pay;
reg [15:0]     c_rem;
reg [NW-1:0]   c_n;
reg [15:0]     c_last;
reg [31:0]     c_ring;
reg [31:0]     c_cqb;
reg [3:0]      c_size;
reg [12:0]     c_buf;
reg [15:0]     c_cons;
reg            cons_commit;
reg [15:0]     c_cqp;
reg [31:0]     c_hdr_addr;
reg [1:0]      c_dkind;     // ST_DROP: 0 filter, 1 queue, 2 no descriptors

// back end: the frame being written (copied from the front end at the handoff)
reg [15:0]     b_len;
reg [3:0]      b_q;
reg [31:0]     b_hash;
reg            b_hv;
reg            b_fhit;
reg [FW-1:0]   b_fidx;
reg [5:0]      b_csum;
reg            b_split;
reg [7:0]      b_hlen;
reg [15:0]     b_pay;
reg [NW-1:0]   b_n;
reg [15:0]     b_last;
reg [31:0]     b_cqb;
reg [3:0]      b_size;
reg [12:0]     b_buf;
reg [15:0]     b_cons;
reg [15:0]     b_cqp;
reg [31:0]     b_hdr_addr;
// descriptor buffer bank of the front end (fetch) and of the back end
reg            fb;
reg            bb;

wire [15:0] c_mask = (16'd1 << c_size) - 16'd1;
wire [16:0] c_ring_entries = 17'd1 << c_size;
wire [15:0] c_slot = c_cons & c_mask;
wire [16:0] room_ring = c_ring_entries - {1'b0, c_slot};
wire [16:0] n17 = {{(17-NW){1'b0}}, c_n};
wire [16:0] run1 = (n17 < room_ring) ? n17 : room_ring;
wire [16:0] run2 = n17 - run1;
wire [15:0] b_mask = (16'd1 << b_size) - 16'd1;
wire [15:0] b_cslot = b_cqp & b_mask;
wire [16:0] room_cq = (17'd1 << b_size) - {1'b0, b_cslot};
wire [16:0] bn17 = {{(17-NW){1'b0}}, b_n};
wire [16:0] crun1 = (bn17 < room_cq) ? bn17 : room_cq;
wire [16:0] crun2 = bn17 - crun1;

// descriptor buffer, two banks: DATA_ADDR and COOKIE of the frame's descriptors
reg [31:0] db_data [0:2*DBN-1];
reg [31:0] db_cookie [0:2*DBN-1];

// error latch of the descriptor fetch (front end)
reg        fe_seen;
reg [1:0]  fe_resp;
reg [31:0] fe_addr;
// error latch of the back end
reg        e_seen;
reg [1:0]  e_resp;
reg [31:0] e_addr;
reg [7:0]  e_tag;
reg [3:0]  f_code;
reg [15:0] f_didx;

// CQE tail: a frame's CQE status records are collected here while the back end already writes
// the next frame (of another queue, or of this one once the tail is done). dma_wr returns status
// records in order, so the first t_iss records after the handoff are the tail's.
reg          t_busy;
reg          t_iss_done;   // the engine issued every CQE descriptor and beat of the frame
reg [1:0]    t_iss;        // CQE descriptors issued
reg [1:0]    t_sts;        // their status records received
reg [3:0]    t_q;
reg [NW-1:0] t_n;
reg [15:0]   t_cons;
reg [15:0]   t_cqp;
reg [15:0]   t_len;
reg [31:0]   t_cqb;
reg [3:0]    t_size;
reg          t_eseen;
reg [1:0]    t_resp;
reg [31:0]   t_addr;
wire         t_fin;        // last status record in: outcome this cycle
wire [15:0]  t_cq_k;       // entry of a failing CQE burst

// phase bookkeeping
reg [1:0]  iss_cnt;       // dma_rd descriptors issued
reg [1:0]  cq_iss;        // CQE descriptors issued
reg [1:0]  sts_cnt;       // their status records received
reg [DBW-1:0] fe_idx;     // next descriptor buffer entry (fetch)
reg        fe_half;       // 64-bit: low half of a descriptor held
reg [63:0] fe_lo;
reg        fe_run0;       // the fetch stream is still in the first run

reg        wd_hdr;        // header write descriptor pending
reg [NW-1:0] wd_k;        // next data write descriptor
reg        wd_done;       // all data write descriptors issued
reg [NW:0] wd_sts;        // data write status records received
wire [NW:0] wd_expect = {{NW{1'b0}}, b_split} + ((b_pay != 16'd0) ? {1'b0, b_n} : {(NW+1){1'b0}});

localparam [31:0] QERR_DESC_READ = `ZCNIC_QERR_DESC_READ;
localparam [31:0] QERR_DATA_WRITE = `ZCNIC_QERR_DATA_WRITE;
localparam [31:0] QERR_CQ_WRITE = `ZCNIC_QERR_CQ_WRITE;

/*
 * Queue registers (nic_qregs: decode, refusals, read mux, error latch)
 */
// the classified queue may be >= QUEUES (dropped in ST_CLASS): index queue 0 then
wire          c_q_ok = {28'd0, c_q} < QUEUES;
wire [QW-1:0] c_qi = c_q_ok ? c_q[QW-1:0] : {QW{1'b0}};
wire [31:0]   sel_ring = q_ring_base[c_qi*32 +: 32];
wire [31:0]   sel_cqb = q_cq_base[c_qi*32 +: 32];
wire [3:0]    sel_size = q_size_log2[c_qi*4 +: 4];
wire [12:0]   sel_buf = q_buf_size[c_qi*13 +: 13];
wire [8:0]    sel_hdr = q_hdr_size[c_qi*9 +: 9];
wire [15:0]   sel_prod = q_prod[c_qi*16 +: 16];
wire [15:0]   sel_cons = q_cons[c_qi*16 +: 16];
wire [15:0]   sel_cqp = q_cq_prod[c_qi*16 +: 16];
// doorbell / RESET strobes are for engines with queue state of their own (nic_tx)
wire unused_qregs = &{1'b0, prod_wr, reset_wr, wr_queue};

genvar gq;
generate
    for (gq = 0; gq < QUEUES; gq = gq + 1) begin : g_busy
        assign q_busy[gq] = (st != ST_IDLE && c_q == gq) || (bst != B_IDLE && b_q == gq) ||
            (t_busy && t_q == gq);
    end
endgenerate

nic_qregs #(
    .QUEUES(QUEUES),
    .MAX_RING_LOG2(MAX_RING_LOG2),
    .RX(1)
)
qregs_inst (
    .clk(clk),
    .rst(rst),
    .reg_wr_addr(reg_wr_addr),
    .reg_wr_data(reg_wr_data),
    .reg_wr_strb(reg_wr_strb),
    .reg_wr_en(reg_wr_en),
    .reg_wr_resp(reg_wr_resp),
    .reg_rd_addr(reg_rd_addr),
    .reg_rd_en(reg_rd_en),
    .reg_rd_data(reg_rd_data),
    .reg_rd_resp(reg_rd_resp),
    .q_ring_base(q_ring_base),
    .q_cq_base(q_cq_base),
    .q_size_log2(q_size_log2),
    .q_enable(q_enable),
    .q_hdr_split(q_hdr_split),
    .q_buf_size(q_buf_size),
    .q_hdr_size(q_hdr_size),
    .q_prod(q_prod),
    .q_cons(q_cons),
    .q_cq_prod(q_cq_prod),
    .prod_wr(prod_wr),
    .reset_wr(reset_wr),
    .wr_queue(wr_queue),
    .busy(q_busy),
    // the descriptors are consumed once their data is written, before any of the frame's CQEs
    // can be seen: a driver reposts on seeing a CQE, and its doorbell must not find CONS behind
    .cons_set(cons_commit),
    .cons_q(b_q),
    .cons_value(b_cons + {{(16-NW){1'b0}}, b_n}),
    .cqp_set(t_fin && !t_eseen),
    .cqp_q(t_q),
    .cqp_value(t_cqp + {{(16-NW){1'b0}}, t_n}),
    // a finishing tail has priority; the engine's ST_FAIL waits a cycle for it
    .err_set(t_fin ? t_eseen : bst == B_FAIL),
    .err_q(t_fin ? t_q : b_q),
    .err_code(t_fin ? QERR_CQ_WRITE[3:0] : f_code),
    .err_resp(t_fin ? t_resp : e_resp),
    .err_index(t_fin ? t_cons + t_cq_k : f_didx),
    .err_addr(t_fin ? t_addr : e_addr),
    .err_queues(err_queues),
    .err_evt(err_evt),
    .irq_frames(irq_frames),
    .irq_cycles(irq_cycles),
    .arm_valid(arm_valid),
    .arm_queue(arm_queue)
);

/*
 * DMA engines
 */
wire [31:0]            rd_desc_addr;
wire [LEN_WIDTH-1:0]   rd_desc_len;
wire                   rd_desc_valid;
wire                   rd_desc_ready;
wire [TAG_WIDTH-1:0]   rd_sts_tag;
wire                   rd_sts_error;
wire [1:0]             rd_sts_resp;
wire [31:0]            rd_sts_err_addr;
wire                   rd_sts_valid;
wire [DATA_WIDTH-1:0]  rd_tdata;
wire [B-1:0]           rd_tkeep;
wire                   rd_tlast;
wire [TAG_WIDTH-1:0]   rd_tid;
wire                   rd_tuser;
wire                   rd_tvalid;
wire                   rd_busy, rd_err;
wire [1:0]             rd_err_resp;
wire [31:0]            rd_err_addr;

reg  [31:0]            wr_desc_addr;
reg  [LEN_WIDTH-1:0]   wr_desc_len;
reg  [TAG_WIDTH-1:0]   wr_desc_tag;
reg                    wr_desc_valid;
wire                   wr_desc_ready;
wire [TAG_WIDTH-1:0]   wr_sts_tag;
wire                   wr_sts_error;
wire [1:0]             wr_sts_resp;
wire [31:0]            wr_sts_err_addr;
wire                   wr_sts_valid;
reg  [DATA_WIDTH-1:0]  wr_tdata;
reg                    wr_tvalid;
wire                   wr_tready;
wire                   wr_busy, wr_err;
wire [1:0]             wr_err_resp;
wire [31:0]            wr_err_addr;

// write status records: the tail's come first (in order), the rest are the engine's data writes
wire        t_sts_in = wr_sts_valid && t_busy && t_sts != t_iss;
wire        e_sts_in = wr_sts_valid && !t_sts_in;
assign      t_fin = t_busy && t_iss_done && t_sts == t_iss;
// the next frame of the tail's queue must not write before the tail's outcome is known
wire        t_same = t_busy && t_q == c_q;
// an earlier frame of the front end's queue whose outcome (error or not) is still open
wire        prev_same = t_same || (bst != B_IDLE && b_q == c_q);
wire [15:0] t_mask = (16'd1 << t_size) - 16'd1;
wire [31:0] t_cq_off = t_addr - t_cqb;
assign      t_cq_k = (t_cq_off[20:5] - (t_cqp & t_mask)) & t_mask;

// status records carry everything; the early error outputs are for single-descriptor users
wire unused_dma = &{1'b0, rd_sts_tag, rd_tkeep, rd_tid, rd_tuser, rd_busy, rd_err, rd_err_resp,
    rd_err_addr, wr_busy, wr_err, wr_err_resp, wr_err_addr};

assign rd_desc_valid = st == ST_FETCH && (iss_cnt == 2'd0 || (iss_cnt == 2'd1 && run2 != 17'd0));
assign rd_desc_addr = iss_cnt == 2'd0 ? c_ring + {12'd0, c_slot, 4'd0} : c_ring;
assign rd_desc_len = iss_cnt == 2'd0 ? {run1[11:0], 4'd0} : {run2[11:0], 4'd0};

dma_rd #(
    .DATA_WIDTH(DATA_WIDTH),
    .ID_WIDTH(ID_WIDTH),
    .CHUNK_BYTES(CHUNK_BYTES),
    .LEN_WIDTH(LEN_WIDTH),
    .TAG_WIDTH(TAG_WIDTH)
)
dma_rd_inst (
    .clk(clk),
    .rst(rst),
    .stop(1'b0),
    .busy(rd_busy),
    .err(rd_err),
    .err_resp(rd_err_resp),
    .err_addr(rd_err_addr),
    .s_desc_addr(rd_desc_addr),
    .s_desc_len(rd_desc_len),
    .s_desc_tag({TAG_WIDTH{1'b0}}),
    .s_desc_valid(rd_desc_valid),
    .s_desc_ready(rd_desc_ready),
    .m_sts_tag(rd_sts_tag),
    .m_sts_error(rd_sts_error),
    .m_sts_resp(rd_sts_resp),
    .m_sts_err_addr(rd_sts_err_addr),
    .m_sts_valid(rd_sts_valid),
    .m_sts_ready(1'b1),
    .m_axis_tdata(rd_tdata),
    .m_axis_tkeep(rd_tkeep),
    .m_axis_tlast(rd_tlast),
    .m_axis_tid(rd_tid),
    .m_axis_tuser(rd_tuser),
    .m_axis_tvalid(rd_tvalid),
    .m_axis_tready(1'b1),
    .m_axi_arid(m_axi_arid),
    .m_axi_araddr(m_axi_araddr),
    .m_axi_arlen(m_axi_arlen),
    .m_axi_arsize(m_axi_arsize),
    .m_axi_arburst(m_axi_arburst),
    .m_axi_arlock(m_axi_arlock),
    .m_axi_arcache(m_axi_arcache),
    .m_axi_arprot(m_axi_arprot),
    .m_axi_arvalid(m_axi_arvalid),
    .m_axi_arready(m_axi_arready),
    .m_axi_rid(m_axi_rid),
    .m_axi_rdata(m_axi_rdata),
    .m_axi_rresp(m_axi_rresp),
    .m_axi_rlast(m_axi_rlast),
    .m_axi_rvalid(m_axi_rvalid),
    .m_axi_rready(m_axi_rready)
);

dma_wr #(
    .DATA_WIDTH(DATA_WIDTH),
    .ID_WIDTH(ID_WIDTH),
    .CHUNK_BYTES(CHUNK_BYTES),
    .LEN_WIDTH(LEN_WIDTH),
    .TAG_WIDTH(TAG_WIDTH)
)
dma_wr_inst (
    .clk(clk),
    .rst(rst),
    .stop(1'b0),
    .busy(wr_busy),
    .err(wr_err),
    .err_resp(wr_err_resp),
    .err_addr(wr_err_addr),
    .s_desc_addr(wr_desc_addr),
    .s_desc_len(wr_desc_len),
    .s_desc_tag(wr_desc_tag),
    .s_desc_valid(wr_desc_valid),
    .s_desc_ready(wr_desc_ready),
    .m_sts_tag(wr_sts_tag),
    .m_sts_error(wr_sts_error),
    .m_sts_resp(wr_sts_resp),
    .m_sts_err_addr(wr_sts_err_addr),
    .m_sts_valid(wr_sts_valid),
    .m_sts_ready(1'b1),
    .s_axis_tdata(wr_tdata),
    .s_axis_tkeep({B{1'b1}}),
    .s_axis_tlast(1'b0),
    .s_axis_tvalid(wr_tvalid),
    .s_axis_tready(wr_tready),
    .m_axi_awid(m_axi_awid),
    .m_axi_awaddr(m_axi_awaddr),
    .m_axi_awlen(m_axi_awlen),
    .m_axi_awsize(m_axi_awsize),
    .m_axi_awburst(m_axi_awburst),
    .m_axi_awlock(m_axi_awlock),
    .m_axi_awcache(m_axi_awcache),
    .m_axi_awprot(m_axi_awprot),
    .m_axi_awvalid(m_axi_awvalid),
    .m_axi_awready(m_axi_awready),
    .m_axi_wdata(m_axi_wdata),
    .m_axi_wstrb(m_axi_wstrb),
    .m_axi_wlast(m_axi_wlast),
    .m_axi_wvalid(m_axi_wvalid),
    .m_axi_wready(m_axi_wready),
    .m_axi_bid(m_axi_bid),
    .m_axi_bresp(m_axi_bresp),
    .m_axi_bvalid(m_axi_bvalid),
    .m_axi_bready(m_axi_bready)
);

/*
 * Frame reader: raw frame words (header phase, then payload phase) into a small FIFO, with
 * credits so that the registered RAM read always finds room
 */
wire [LB-1:0] c_shift = b_hlen[LB-1:0];
wire [15:0]   hdr_words = ({8'd0, b_hlen} + BM1[15:0]) >> LB;
wire [15:0]   pay_words = ((b_pay + BM1[15:0]) >> LB) + ((c_shift != 0) ? 16'd1 : 16'd0);
wire [15:0]   frame_words = (b_len + BM1[15:0]) >> LB;
wire [15:0]   c_words = (c_len + BM1[15:0]) >> LB;
wire [31:0]   pay_start32 = {{(31-FA){1'b0}}, free_ptr} + {24'd0, b_hlen >> LB};
wire [FA:0]   pay_start = pay_start32[FA:0];

reg [1:0]            rdr_phase;    // 0 header, 1 payload, 2 done
reg [FA:0]           rdr_addr;
reg [15:0]           rdr_left;
reg                  rdr_first;    // next payload word is the first
reg                  rdr_inflight;
reg                  rdr_v_pay, rdr_v_first;
reg [DATA_WIDTH-1:0] rdr_word;

wire [DATA_WIDTH+1:0] raw_m_data;
wire                  raw_m_valid;
wire                  raw_m_ready;
wire [$clog2(RAW_DEPTH):0] raw_count;
wire                  raw_s_ready;
// the read credits below keep the FIFO from ever refusing a word
wire unused_raw = &{1'b0, raw_s_ready};

wire rdr_issue = bst == B_DATA && rdr_phase != 2'd2 && rdr_left != 16'd0 &&
    ({{(16-$clog2(RAW_DEPTH)-1){1'b0}}, raw_count} + {15'd0, rdr_inflight}) < RAW_DEPTH - 1;

always @(posedge clk) begin
    rdr_word <= fmem[rdr_addr[FA-1:0]];
end

dma_fifo #(
    .WIDTH(DATA_WIDTH + 2),
    .DEPTH(RAW_DEPTH)
)
raw_fifo_inst (
    .clk(clk),
    .rst(rst),
    .s_data({rdr_v_pay, rdr_v_first, rdr_word}),
    .s_valid(rdr_inflight),
    .s_ready(raw_s_ready),
    .m_data(raw_m_data),
    .m_valid(raw_m_valid),
    .m_ready(raw_m_ready),
    .count(raw_count)
);

// byte shifter: payload word j = {w[j0+j+1], w[j0+j]} >> s bytes
reg  [DATA_WIDTH-1:0]   prev_word;
wire                    raw_pay = raw_m_data[DATA_WIDTH+1];
wire                    raw_first = raw_m_data[DATA_WIDTH];
wire [DATA_WIDTH-1:0]   raw_word = raw_m_data[DATA_WIDTH-1:0];
wire                    sh_need_out = !(raw_pay && c_shift != 0 && raw_first);
wire [2*DATA_WIDTH-1:0] sh_pair = {raw_word, prev_word} >> {c_shift, 3'b000};
wire [DATA_WIDTH-1:0]   sh_out = (raw_pay && c_shift != 0) ? sh_pair[DATA_WIDTH-1:0] : raw_word;
assign raw_m_ready = raw_m_valid && (!sh_need_out || (bst == B_DATA && wr_tready));

always @(posedge clk) begin
    if (raw_m_valid && raw_m_ready) begin
        prev_word <= raw_word;
    end
end

/*
 * CQE stream: entries of the current run, lane 0 first
 */
localparam CQE_W = 8*`ZCNIC_RX_CQE_BYTES;
reg [1:0]  cq_run;       // run being streamed (2: done)
reg [15:0] cq_beat;      // beat within the run
wire [15:0] cq_run_entries = cq_run == 2'd0 ? crun1[15:0] : crun2[15:0];
wire [15:0] cq_run_beats = ({cq_run_entries[10:0], 5'd0} + BM1[15:0]) >> LB;
wire [15:0] cq_e0 = cq_run == 2'd0 ? 16'd0 : crun1[15:0];

localparam [31:0] F_SOP = `ZCNIC_RX_FLAG_SOP;
localparam [31:0] F_EOP = `ZCNIC_RX_FLAG_EOP;
localparam [31:0] F_HDR_SPLIT = `ZCNIC_RX_FLAG_HDR_SPLIT;
localparam [31:0] F_FILTER_HIT = `ZCNIC_RX_FLAG_FILTER_HIT;
localparam [31:0] F_HASH_VALID = `ZCNIC_RX_FLAG_HASH_VALID;

// the fields every entry of the frame repeats
reg [CQE_W-1:0] cqe_common;
always @* begin
    cqe_common = {CQE_W{1'b0}};
    cqe_common[8*`ZCNIC_RX_CQE_QUEUE_OFF +: 8] = {4'd0, b_q};
    cqe_common[8*`ZCNIC_RX_CQE_FLAGS_OFF +: 8] = (b_split ? F_HDR_SPLIT[7:0] : 8'd0) |
        (b_fhit ? F_FILTER_HIT[7:0] : 8'd0) | (b_hv ? F_HASH_VALID[7:0] : 8'd0);
    cqe_common[8*`ZCNIC_RX_CQE_HDR_LEN_OFF +: 16] = {8'd0, b_hlen};
    cqe_common[8*`ZCNIC_RX_CQE_RSS_HASH_OFF +: 32] = b_hash;
    cqe_common[8*`ZCNIC_RX_CQE_CSUM_OFF +: 8] = {2'd0, b_csum};
    cqe_common[8*`ZCNIC_RX_CQE_FILTER_INDEX_OFF +: 8] = {{(8-FW){1'b0}}, b_fidx};
    cqe_common[8*`ZCNIC_RX_CQE_FRAME_LEN_OFF +: 32] = {16'd0, b_len};
end

// entry e of the frame; everything it reads is an argument, so callers' sensitivity is complete
function [CQE_W-1:0] cqe(
    input [15:0]      e,
    input [31:0]      cookie,
    input [CQE_W-1:0] common,
    input [NW-1:0]    n,
    input [15:0]      cqp,
    input [15:0]      cons,
    input [15:0]      last,
    input [12:0]      buf_size,
    input [3:0]       size_log2
);
    reg [CQE_W-1:0] r;
    reg [15:0]      cqi;
    reg [15:0]      last_e;
    begin
        last_e = {{(16-NW){1'b0}}, n} - 16'd1;
        cqi = cqp + e;
        r = common;
        r[8*`ZCNIC_RX_CQE_COOKIE_OFF +: 32] = cookie;
        r[8*`ZCNIC_RX_CQE_INDEX_OFF +: 16] = cons + e;
        r[8*`ZCNIC_RX_CQE_FLAGS_OFF +: 8] = common[8*`ZCNIC_RX_CQE_FLAGS_OFF +: 8] |
            ((e == 16'd0) ? F_SOP[7:0] : 8'd0) | ((e == last_e) ? F_EOP[7:0] : 8'd0) |
            (cqi[size_log2] ? 8'd0 : `ZCNIC_CQE_PHASE);
        r[8*`ZCNIC_RX_CQE_DATA_LEN_OFF +: 16] = (e == last_e) ? last : {3'd0, buf_size};
        cqe = r;
    end
endfunction

reg [DATA_WIDTH-1:0] cq_data;
generate
    if (B >= 32) begin : g_cq_wide
        // B/32 entries per beat
        integer cj;
        reg [15:0] cq_ent;
        always @* begin
            cq_ent = 16'd0;
            for (cj = 0; cj < B/32; cj = cj + 1) begin
                cq_ent = cq_e0 + (cq_beat << (LB - 5)) + cj[15:0];
                cq_data[cj*CQE_W +: CQE_W] = cqe(cq_ent, db_cookie[{bb, cq_ent[DBW-1:0]}], cqe_common,
                    b_n, b_cqp, b_cons, b_last, b_buf, b_size);
            end
        end
    end else begin : g_cq_narrow
        // 32/B beats per entry
        wire [15:0] cq_ent = cq_e0 + (cq_beat >> (5 - LB));
        wire [CQE_W-1:0] cq_entry = cqe(cq_ent, db_cookie[{bb, cq_ent[DBW-1:0]}], cqe_common, b_n,
            b_cqp, b_cons, b_last, b_buf, b_size);
        always @* begin
            cq_data = cq_entry[cq_beat[4-LB:0]*DATA_WIDTH +: DATA_WIDTH];
        end
    end
endgenerate

/*
 * dma_wr descriptor and stream muxes
 */
wire [NW-1:0] last_k = b_n - 1'b1;
always @* begin
    wr_desc_valid = 1'b0;
    wr_desc_addr = 32'd0;
    wr_desc_len = {LEN_WIDTH{1'b0}};
    wr_desc_tag = {TAG_WIDTH{1'b0}};
    wr_tvalid = 1'b0;
    wr_tdata = cq_data;
    if (bst == B_DATA) begin
        wr_tvalid = raw_m_valid && sh_need_out;
        wr_tdata = sh_out;
        if (wd_hdr) begin
            wr_desc_valid = 1'b1;
            wr_desc_addr = b_hdr_addr;
            wr_desc_len = {8'd0, b_hlen};
        end else if (!wd_done) begin
            wr_desc_valid = 1'b1;
            wr_desc_addr = db_data[{bb, {(DBW-NW){1'b0}}, wd_k}];
            wr_desc_len = (wd_k == last_k) ? b_last : {3'd0, b_buf};
            wr_desc_tag = {{(TAG_WIDTH-NW){1'b0}}, wd_k};
        end
    end else if (bst == B_CQE) begin
        wr_tvalid = cq_run != 2'd2;
        wr_desc_valid = cq_iss == 2'd0 || (cq_iss == 2'd1 && crun2 != 17'd0);
        wr_desc_addr = cq_iss == 2'd0 ? b_cqb + {11'd0, b_cslot, 5'd0} : b_cqb;
        wr_desc_len = cq_iss == 2'd0 ? {crun1[10:0], 5'd0} : {crun2[10:0], 5'd0};
    end
end

// index of the entry at a failing burst's start address (ring of 16-byte or 32-byte entries)
wire [31:0] e_ring_off = fe_addr - c_ring;
wire [15:0] e_ring_k = (e_ring_off[19:4] - c_slot) & c_mask;

// upper bits of wide intermediate results that never carry information
wire unused_bits = &{1'b0, m_q16, frame_words, pay_start32, sh_pair[2*DATA_WIDTH-1:DATA_WIDTH],
    cq_run_entries, e_ring_off, t_cq_off, c_words};

/*
 * Descriptor fetch stream -> descriptor buffer (entry 0's HDR_ADDR kept apart)
 */
wire fe_start = st == ST_CHECK;
wire fe_beat = st == ST_FETCH && rd_tvalid;
generate
    if (B == 8) begin : g_fe_narrow
        // two beats per descriptor
        always @(posedge clk) begin
            if (fe_start) begin
                fe_idx <= {DBW{1'b0}};
                fe_half <= 1'b0;
                fe_run0 <= 1'b1;
            end else if (fe_beat) begin
                if (!fe_half) begin
                    fe_lo <= rd_tdata[63:0];
                    fe_half <= 1'b1;
                end else begin
                    if (fe_idx == {DBW{1'b0}}) begin
                        c_hdr_addr <= fe_lo[8*`ZCNIC_RX_DESC_HDR_ADDR_OFF +: 32];
                    end
                    db_data[{fb, fe_idx}] <= fe_lo[8*`ZCNIC_RX_DESC_DATA_ADDR_OFF +: 32];
                    db_cookie[{fb, fe_idx}] <= rd_tdata[8*(`ZCNIC_RX_DESC_COOKIE_OFF-8) +: 32];
                    fe_half <= 1'b0;
                    fe_idx <= fe_idx + 1'b1;
                end
                if (rd_tlast) begin
                    // the second run starts at lane 0 of a new stream frame
                    fe_half <= 1'b0;
                    fe_run0 <= 1'b0;
                    if (fe_run0) begin
                        fe_idx <= run1[DBW-1:0];
                    end
                end
            end
        end
    end else begin : g_fe_wide
        // B/16 descriptors per beat
        localparam [31:0] DPB = B/16;
        integer dj;
        always @(posedge clk) begin
            if (fe_start) begin
                fe_idx <= {DBW{1'b0}};
                fe_half <= 1'b0;
                fe_run0 <= 1'b1;
            end else if (fe_beat) begin
                for (dj = 0; dj < B/16; dj = dj + 1) begin
                    if (fe_idx + dj[DBW-1:0] == {DBW{1'b0}}) begin
                        c_hdr_addr <= rd_tdata[dj*128 + 8*`ZCNIC_RX_DESC_HDR_ADDR_OFF +: 32];
                    end
                    db_data[{fb, fe_idx + dj[DBW-1:0]}] <= rd_tdata[dj*128 + 8*`ZCNIC_RX_DESC_DATA_ADDR_OFF +: 32];
                    db_cookie[{fb, fe_idx + dj[DBW-1:0]}] <= rd_tdata[dj*128 + 8*`ZCNIC_RX_DESC_COOKIE_OFF +: 32];
                end
                fe_idx <= fe_idx + DPB[DBW-1:0];
                if (rd_tlast) begin
                    fe_run0 <= 1'b0;
                    if (fe_run0) begin
                        fe_idx <= run1[DBW-1:0];
                    end
                end
            end
        end
        // the two-beat assembly is only needed at 64 bits
        always @(posedge clk) begin
            fe_lo <= 64'd0;
        end
        wire unused_fe = &{1'b0, fe_half, fe_lo};
    end
endgenerate

/*
 * Engine: the front end classifies the next frame, counts its descriptors and fetches them while
 * the back end writes the previous frame's data and CQEs, and the tail collects the CQE status
 * records of the one before. Only reads happen early: a frame's first write (its data) waits
 * until the earlier frame of the same queue has its outcome, so an error there still turns it
 * into a queue drop with nothing written.
 */
always @(posedge clk) begin
    cq_evt <= {QUEUES{1'b0}};
    cons_commit <= 1'b0;
    stat_frame <= 1'b0;
    stat_drop_nodesc <= 1'b0;
    stat_drop_filter <= 1'b0;
    stat_drop_queue <= 1'b0;
    stat_drop_bad <= merge_go && lenf_bad;
    stat_drop_dma <= 1'b0;
    stat_dma_err <= 1'b0;
    rdr_inflight <= rdr_issue;

    // CQE tail: collect its status records, then deliver the frame or raise CQ_WRITE
    if (t_sts_in) begin
        t_sts <= t_sts + 1'b1;
        if (wr_sts_error && !t_eseen) begin
            t_eseen <= 1'b1;
            t_resp <= wr_sts_resp;
            t_addr <= wr_sts_err_addr;
        end
    end
    if (t_fin) begin
        t_busy <= 1'b0;
        if (t_eseen) begin
            stat_drop_dma <= 1'b1;
            stat_dma_err <= 1'b1;
        end else begin
            cq_evt[t_q[QW-1:0]] <= 1'b1;
            stat_frame <= 1'b1;
            stat_bytes <= t_len;
        end
    end

    /*
     * Front end
     */
    case (st)
        ST_IDLE: begin
            if (meta_valid) begin
                c_len <= m_len;
                c_drop <= m_drop;
                c_q <= m_q16[3:0];
                c_hash <= m_hash;
                c_hv <= m_hv;
                c_fhit <= m_fhit;
                c_fidx <= m_fidx;
                c_l4 <= m_l4;
                c_hdrlen <= m_hdrlen;
                c_csum <= m_csum;
                st <= ST_CLASS;
            end
        end
        ST_CLASS: begin
            c_ring <= sel_ring;
            c_cqb <= sel_cqb;
            c_size <= sel_size;
            c_buf <= sel_buf;
            // CONS / CQ_PROD as they will be once the earlier frame of this queue is delivered
            // (the back end's frame advances both, the tail's frame only CQ_PROD still)
            if (bst != B_IDLE && b_q == c_q) begin
                c_cons <= b_cons + {{(16-NW){1'b0}}, b_n};
                c_cqp <= b_cqp + {{(16-NW){1'b0}}, b_n};
            end else begin
                c_cons <= sel_cons;
                c_cqp <= t_same ? t_cqp + {{(16-NW){1'b0}}, t_n} : sel_cqp;
            end
            c_n <= {{(NW-1){1'b0}}, 1'b1};
            if (c_drop) begin
                c_dkind <= 2'd0;
                st <= ST_DROP;
            end else if (!c_q_ok || !q_enable[c_qi] || err_queues[c_qi]) begin
                c_dkind <= 2'd1;
                st <= ST_DROP;
            end else if (q_hdr_split[c_qi] && c_l4 && {1'b0, c_hdrlen} <= sel_hdr) begin
                c_split <= 1'b1;
                c_hlen <= c_hdrlen;
                c_pay <= c_len - {8'd0, c_hdrlen};
                c_rem <= c_len - {8'd0, c_hdrlen};
                st <= ST_COUNT;
            end else begin
                c_split <= 1'b0;
                c_hlen <= 8'd0;
                c_pay <= c_len;
                c_rem <= c_len;
                st <= ST_COUNT;
            end
        end
        ST_COUNT: begin
            // n = max(1, ceil(payload / BUF_SIZE)); c_last = bytes in the last data buffer
            if (c_rem > {3'd0, c_buf}) begin
                c_rem <= c_rem - {3'd0, c_buf};
                c_n <= c_n + 1'b1;
            end else begin
                c_last <= c_rem;
                st <= ST_CHECK;
            end
        end
        ST_CHECK: begin
            iss_cnt <= 2'd0;
            sts_cnt <= 2'd0;
            fe_seen <= 1'b0;
            if (sel_prod - c_cons < {{(16-NW){1'b0}}, c_n}) begin
                // an earlier frame of this queue that fails makes this a queue drop: decide
                // once its outcome is known (PROD may grow meanwhile)
                if (!prev_same) begin
                    c_dkind <= err_queues[c_qi] ? 2'd1 : 2'd2;
                    st <= ST_DROP;
                end
            end else begin
                st <= ST_FETCH;
            end
        end
        ST_FETCH: begin
            if (rd_desc_valid && rd_desc_ready) begin
                iss_cnt <= iss_cnt + 1'b1;
            end
            if (rd_sts_valid) begin
                sts_cnt <= sts_cnt + 1'b1;
                if (rd_sts_error && !fe_seen) begin
                    fe_seen <= 1'b1;
                    fe_resp <= rd_sts_resp;
                    fe_addr <= rd_sts_err_addr;
                end
            end
            if (iss_cnt != 2'd0 && !rd_desc_valid && sts_cnt == iss_cnt) begin
                st <= ST_READY;
            end
        end
        ST_READY: begin
            // hand the frame to the back end once it is free and the earlier frame of this
            // queue has its outcome; the descriptors were only read so far
            if (bst == B_IDLE && !t_same) begin
                if (err_queues[c_qi]) begin
                    c_dkind <= 2'd1;
                    st <= ST_DROP;
                end else begin
                    b_len <= c_len;
                    b_q <= c_q;
                    b_hash <= c_hash;
                    b_hv <= c_hv;
                    b_fhit <= c_fhit;
                    b_fidx <= c_fidx;
                    b_csum <= c_csum;
                    b_split <= c_split;
                    b_hlen <= c_hlen;
                    b_pay <= c_pay;
                    b_n <= c_n;
                    b_last <= c_last;
                    b_cqb <= c_cqb;
                    b_size <= c_size;
                    b_buf <= c_buf;
                    b_cons <= c_cons;
                    b_cqp <= c_cqp;
                    b_hdr_addr <= c_hdr_addr;
                    st <= ST_IDLE;
                    if (fe_seen) begin
                        f_code <= QERR_DESC_READ[3:0];
                        f_didx <= c_cons + e_ring_k;
                        e_resp <= fe_resp;
                        e_addr <= fe_addr;
                        bst <= B_FAIL;
                    end else begin
                        bb <= fb;
                        fb <= !fb;
                        bst <= B_START;
                    end
                end
            end
        end
        ST_DROP: begin
            // frames leave the frame RAM in order: wait until the back end has freed its frame
            if (bst == B_IDLE) begin
                stat_drop_filter <= c_dkind == 2'd0;
                stat_drop_queue <= c_dkind == 2'd1;
                stat_drop_nodesc <= c_dkind == 2'd2;
                st <= ST_IDLE;
            end
        end
        default: st <= ST_IDLE;
    endcase

    /*
     * Back end
     */
    case (bst)
        B_IDLE: begin
        end
        B_START: begin
            e_seen <= 1'b0;
            wd_hdr <= b_split;
            wd_k <= {NW{1'b0}};
            wd_done <= b_pay == 16'd0;
            wd_sts <= {(NW+1){1'b0}};
            rdr_phase <= b_split ? 2'd0 : 2'd1;
            rdr_addr <= b_split ? free_ptr : pay_start;
            rdr_left <= b_split ? hdr_words : pay_words;
            rdr_first <= 1'b1;
            bst <= B_DATA;
        end
        B_DATA: begin
            if (wr_desc_valid && wr_desc_ready) begin
                if (wd_hdr) begin
                    wd_hdr <= 1'b0;
                end else begin
                    wd_k <= wd_k + 1'b1;
                    if (wd_k == last_k) begin
                        wd_done <= 1'b1;
                    end
                end
            end
            if (rdr_issue) begin
                rdr_v_pay <= rdr_phase == 2'd1;
                rdr_v_first <= rdr_phase == 2'd1 && rdr_first;
                if (rdr_phase == 2'd1) begin
                    rdr_first <= 1'b0;
                end
                if (rdr_left == 16'd1) begin
                    if (rdr_phase == 2'd0 && b_pay != 16'd0) begin
                        rdr_phase <= 2'd1;
                        rdr_addr <= pay_start;
                        rdr_left <= pay_words;
                    end else begin
                        rdr_phase <= 2'd2;
                        rdr_left <= 16'd0;
                    end
                end else begin
                    rdr_addr <= rdr_addr + 1'b1;
                    rdr_left <= rdr_left - 1'b1;
                end
            end
            if (e_sts_in) begin
                wd_sts <= wd_sts + 1'b1;
                if (wr_sts_error && !e_seen) begin
                    e_seen <= 1'b1;
                    e_resp <= wr_sts_resp;
                    e_addr <= wr_sts_err_addr;
                    e_tag <= wr_sts_tag;
                end
            end
            // (the tail is free by then: its status records came before these)
            if (wd_sts == wd_expect && !wd_hdr && wd_done && rdr_phase == 2'd2 && !rdr_inflight &&
                    raw_count == 0 && !t_busy) begin
                cq_iss <= 2'd0;
                cq_run <= 2'd0;
                cq_beat <= 16'd0;
                if (e_seen) begin
                    f_code <= QERR_DATA_WRITE[3:0];
                    f_didx <= b_cons + {8'd0, e_tag};
                    bst <= B_FAIL;
                end else begin
                    bst <= B_CQE;
                    cons_commit <= 1'b1;
                    t_busy <= 1'b1;
                    t_iss_done <= 1'b0;
                    t_iss <= 2'd0;
                    t_sts <= 2'd0;
                    t_eseen <= 1'b0;
                    t_q <= b_q;
                    t_n <= b_n;
                    t_cons <= b_cons;
                    t_cqp <= b_cqp;
                    t_len <= b_len;
                    t_cqb <= b_cqb;
                    t_size <= b_size;
                end
            end
        end
        B_CQE: begin
            if (wr_desc_valid && wr_desc_ready) begin
                cq_iss <= cq_iss + 1'b1;
                t_iss <= t_iss + 1'b1;
            end
            if (wr_tvalid && wr_tready) begin
                if (cq_beat == cq_run_beats - 16'd1) begin
                    cq_beat <= 16'd0;
                    cq_run <= (cq_run == 2'd0 && crun2 != 17'd0) ? 2'd1 : 2'd2;
                end else begin
                    cq_beat <= cq_beat + 1'b1;
                end
            end
            // all CQEs handed to dma_wr: the tail waits for their B, the back end moves on
            if (cq_iss != 2'd0 && !wr_desc_valid && cq_run == 2'd2) begin
                t_iss_done <= 1'b1;
                bst <= B_FREE;
            end
        end
        B_FAIL: begin
            // one error (and one stat_drop_dma) per cycle: a finishing tail goes first
            if (!t_fin) begin
                stat_drop_dma <= 1'b1;
                stat_dma_err <= 1'b1;
                bst <= B_FREE;
            end
        end
        B_FREE: begin
            bst <= B_IDLE;
        end
        default: bst <= B_IDLE;
    endcase

    if (rst) begin
        st <= ST_IDLE;
        bst <= B_IDLE;
        fb <= 1'b0;
        bb <= 1'b1;
        cq_evt <= {QUEUES{1'b0}};
        cons_commit <= 1'b0;
        stat_frame <= 1'b0;
        stat_bytes <= 16'd0;
        stat_drop_nodesc <= 1'b0;
        stat_drop_filter <= 1'b0;
        stat_drop_queue <= 1'b0;
        stat_drop_bad <= 1'b0;
        stat_drop_dma <= 1'b0;
        stat_dma_err <= 1'b0;
        rdr_inflight <= 1'b0;
        rdr_phase <= 2'd2;
        c_q <= 4'd0;
        b_q <= 4'd0;
        t_busy <= 1'b0;
        t_iss_done <= 1'b0;
        t_iss <= 2'd0;
        t_sts <= 2'd0;
    end
end

// frames are freed in order: the back end's frame when it is done, a dropped frame once the back
// end is empty (it is then the oldest)
always @(posedge clk) begin
    if (bst == B_FREE) begin
        free_ptr <= free_ptr + frame_words[FA:0];
    end else if (st == ST_DROP && bst == B_IDLE) begin
        free_ptr <= free_ptr + c_words[FA:0];
    end
    if (rst) begin
        free_ptr <= 0;
    end
end

endmodule

`resetall
