// Language: Verilog 2001

`resetall
`timescale 1ns / 1ps
`default_nettype none

/*
 * TX checksum insertion, store-and-forward with two frame buffers (ping-pong).
 *
 * Each frame needs one command {insert_ip, insert_udp}; it may arrive any time before the frame's
 * last beat, which waits (tready low) for it. While a frame is written into one buffer, its
 * checksums are summed (csum_parse, checksum fields left out); the other buffer meanwhile
 * streams out the previous frame with the IPv4 header checksum and/or the UDP checksum
 * (pseudo-header + UDP header + payload, a computed 0 sent as 0xFFFF) patched in on the way:
 * the UDP checksum precedes the payload it covers, hence the buffering. Offsets come from
 * parsing the frame (at most one 802.1Q tag, IPv4 options); every other byte leaves unchanged.
 *
 * A requested checksum the frame cannot take is not inserted and is flagged: IP needs an IPv4
 * frame holding its whole header; UDP needs IPv4 protocol 17, not a fragment, total length
 * >= IHL*4 + 8 and the whole datagram in the frame. m_axis_tuser, constant over a frame:
 * [0] IP checksum inserted, [1] UDP checksum inserted, [2] IP refused, [3] UDP refused.
 *
 * A frame longer than MAX_FRAME bytes is dropped whole (its command is consumed) and counted in
 * drop_count. A frame whose last beat carries s_axis_tuser = 1 (an upstream read error) is
 * aborted the same way and counted in abort_count instead (an oversized frame counts as a drop
 * only). Input rule: tkeep all ones except on the last beat (contiguous from lane 0); tkeep of an
 * aborting last beat may be 0.
 *
 * Throughput: one frame is received while the previous one is sent. A buffer is released as its
 * last word is read into the output register (which keeps a copy of the frame's record), and a
 * frame can be read three cycles after its last beat came in.
 */
module tx_csum #
(
    // Data width in bits (64..512, power of 2)
    parameter DATA_WIDTH = 64,
    // Largest frame in bytes (multiple of 64, 64..65536); each of the two buffers holds one
    parameter MAX_FRAME = 9216
)
(
    input  wire                     clk,
    input  wire                     rst,

    /*
     * Per-frame command
     */
    input  wire                     s_cmd_valid,
    output wire                     s_cmd_ready,
    input  wire                     s_cmd_insert_ip,
    input  wire                     s_cmd_insert_udp,

    /*
     * Frame input
     */
    input  wire [DATA_WIDTH-1:0]    s_axis_tdata,
    input  wire [DATA_WIDTH/8-1:0]  s_axis_tkeep,
    input  wire                     s_axis_tvalid,
    output wire                     s_axis_tready,
    input  wire                     s_axis_tlast,
    // abort: read with the last beat, 1 drops the frame whole
    input  wire                     s_axis_tuser,

    /*
     * Frame output
     */
    output wire [DATA_WIDTH-1:0]    m_axis_tdata,
    output wire [DATA_WIDTH/8-1:0]  m_axis_tkeep,
    output wire                     m_axis_tvalid,
    input  wire                     m_axis_tready,
    output wire                     m_axis_tlast,
    output wire [3:0]               m_axis_tuser,

    // frames dropped for exceeding MAX_FRAME
    output wire [31:0]              drop_count,
    // frames dropped by s_axis_tuser
    output wire [31:0]              abort_count
);

localparam BYTES = DATA_WIDTH/8;
localparam LANE_BITS = $clog2(BYTES);
localparam BANK_WORDS = MAX_FRAME/BYTES;
localparam ADDR_WIDTH = $clog2(2*BANK_WORDS);
// beat counter: 0..BANK_WORDS (BANK_WORDS means "buffer full")
localparam PTR_WIDTH = $clog2(BANK_WORDS+1);
localparam POS_WIDTH = PTR_WIDTH + LANE_BITS;
localparam [POS_WIDTH-1:0] BYTES_POS = BYTES[POS_WIDTH-1:0];
localparam [PTR_WIDTH-1:0] PTR_FULL = BANK_WORDS[PTR_WIDTH-1:0];
localparam [ADDR_WIDTH-1:0] BANK1_BASE = BANK_WORDS[ADDR_WIDTH-1:0];
// tag through csum_parse: {dropped, bank, insert_udp, insert_ip}
localparam TAG_WIDTH = 4;

initial begin
    if (DATA_WIDTH < 64 || DATA_WIDTH > 512 || (DATA_WIDTH & (DATA_WIDTH - 1)) != 0) begin
        $error("Error: %m: DATA_WIDTH must be a power of 2 in 64..512 (got %0d)", DATA_WIDTH);
        $finish;
    end
    if (MAX_FRAME < 64 || MAX_FRAME > 65536 || MAX_FRAME % 64 != 0) begin
        $error("Error: %m: MAX_FRAME must be a multiple of 64 in 64..65536 (got %0d)", MAX_FRAME);
        $finish;
    end
end

function [15:0] csum_final(input [15:0] sum);
    begin
        csum_final = ~sum;
    end
endfunction

// write side
reg                   wr_bank_reg, wr_bank_next;
reg [PTR_WIDTH-1:0]   wr_ptr_reg, wr_ptr_next;
reg                   wr_drop_reg, wr_drop_next;
reg [31:0]            drop_count_reg, drop_count_next;
reg [31:0]            abort_count_reg, abort_count_next;
// per buffer: holds a frame (from its last beat in until its last beat out) / ready to send
reg [1:0]             busy_reg, busy_next;
reg [1:0]             ready_reg, ready_next;

// read side
reg                   rd_bank_reg, rd_bank_next;
reg [PTR_WIDTH-1:0]   rd_ptr_reg, rd_ptr_next;
reg                   out_valid_reg, out_valid_next;
reg                   out_last_reg, out_last_next;
reg [PTR_WIDTH-1:0]   out_beat_reg, out_beat_next;

// per-buffer frame records (datapath, not reset)
reg [PTR_WIDTH-1:0]   nbeats_reg [0:1];
reg [BYTES-1:0]       keep_last_reg [0:1];
reg [3:0]             flags_reg [0:1];
reg [15:0]            ip_csum_reg [0:1];
reg [15:0]            udp_csum_reg [0:1];
reg [6:0]             ip_pos_reg [0:1];
reg [6:0]             udp_pos_reg [0:1];

(* ramstyle = "no_rw_check" *)
reg [DATA_WIDTH-1:0]  mem [0:2*BANK_WORDS-1];
reg [DATA_WIDTH-1:0]  out_data_reg;
// the record of the frame in the output register
reg [BYTES-1:0]       o_keep_reg;
reg [3:0]             o_flags_reg;
reg [15:0]            o_ip_csum_reg;
reg [15:0]            o_udp_csum_reg;
reg [6:0]             o_ip_pos_reg;
reg [6:0]             o_udp_pos_reg;

wire in_beat = s_axis_tvalid && s_axis_tready;
wire in_end = in_beat && s_axis_tlast;
// the buffer is full: this beat does not fit, the frame is dropped
wire overflow = wr_ptr_reg == PTR_FULL;
wire frame_drop = wr_drop_reg || overflow;
// an aborted frame is discarded like an oversized one (its words are never published)
wire frame_abort = s_axis_tlast && s_axis_tuser;
wire wr_en = in_beat && !overflow;
wire [ADDR_WIDTH-1:0] wr_addr = (wr_bank_reg ? BANK1_BASE : {ADDR_WIDTH{1'b0}}) +
    {{(ADDR_WIDTH-PTR_WIDTH){1'b0}}, wr_ptr_reg};

assign s_axis_tready = !busy_reg[wr_bank_reg] && (!s_axis_tlast || s_cmd_valid);
assign s_cmd_ready = in_end;
assign drop_count = drop_count_reg;
assign abort_count = abort_count_reg;

// checksum results, two cycles after the frame's last beat
wire                  p_valid;
wire [TAG_WIDTH-1:0]  p_tag;
wire                  p_is_ipv4;
wire                  p_ip_hdr_present;
wire                  p_truncated;
wire                  p_ip_len_ok;
wire                  p_udp_len_ok;
wire                  p_is_udp;
wire                  p_fragment;
wire                  p_udp_csum_nz;
wire [15:0]           p_ip_sum;
wire [15:0]           p_l4_sum;
wire [6:0]            p_ip_pos;
wire [6:0]            p_udp_pos;

// verification-only outputs
wire unused_parse = &{1'b0, p_udp_csum_nz, p_ip_len_ok};

csum_parse #(
    .DATA_WIDTH(DATA_WIDTH),
    .SKIP_CSUM_FIELDS(1),
    .TAG_WIDTH(TAG_WIDTH)
)
csum_parse_inst (
    .clk(clk),
    .rst(rst),
    .s_tdata(s_axis_tdata),
    .s_tkeep(s_axis_tkeep),
    .s_tlast(s_axis_tlast),
    .s_beat(in_beat),
    .s_tag({frame_drop || frame_abort, wr_bank_reg, s_cmd_insert_udp, s_cmd_insert_ip}),
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

wire p_drop = p_tag[3];
wire p_bank = p_tag[2];
wire can_ip = p_is_ipv4 && p_ip_hdr_present;
wire can_udp = p_is_udp && !p_fragment && p_udp_len_ok && !p_truncated;
wire [15:0] udp_csum = csum_final(p_l4_sum);
wire [3:0] p_flags = {
    p_tag[1] && !can_udp,
    p_tag[0] && !can_ip,
    p_tag[1] && can_udp,
    p_tag[0] && can_ip
};

wire rd_avail = ready_reg[rd_bank_reg];
wire rd_en = rd_avail && (!out_valid_reg || m_axis_tready);
wire rd_last = rd_ptr_reg == nbeats_reg[rd_bank_reg] - 1'b1;
wire [ADDR_WIDTH-1:0] rd_addr = (rd_bank_reg ? BANK1_BASE : {ADDR_WIDTH{1'b0}}) +
    {{(ADDR_WIDTH-PTR_WIDTH){1'b0}}, rd_ptr_reg};

// patch the checksum fields (even offsets, so whole 16-bit lane pairs) of the output word
wire [POS_WIDTH-1:0] o_base = {out_beat_reg, {LANE_BITS{1'b0}}};
wire [POS_WIDTH-1:0] o_ip_pos = {{(POS_WIDTH-7){1'b0}}, o_ip_pos_reg};
wire [POS_WIDTH-1:0] o_udp_pos = {{(POS_WIDTH-7){1'b0}}, o_udp_pos_reg};
wire [BYTES/2-1:0] ip_word = o_flags_reg[0] && o_ip_pos >= o_base && o_ip_pos - o_base < BYTES_POS ?
    {{(BYTES/2-1){1'b0}}, 1'b1} << o_ip_pos[LANE_BITS-1:1] : {(BYTES/2){1'b0}};
wire [BYTES/2-1:0] udp_word = o_flags_reg[1] && o_udp_pos >= o_base && o_udp_pos - o_base < BYTES_POS ?
    {{(BYTES/2-1){1'b0}}, 1'b1} << o_udp_pos[LANE_BITS-1:1] : {(BYTES/2){1'b0}};
wire [DATA_WIDTH-1:0] out_data;

genvar g;
generate
    for (g = 0; g < BYTES/2; g = g + 1) begin : gen_patch
        // lane 2g carries the high byte
        assign out_data[g*16 +: 16] =
            ip_word[g] ? {o_ip_csum_reg[7:0], o_ip_csum_reg[15:8]} :
            udp_word[g] ? {o_udp_csum_reg[7:0], o_udp_csum_reg[15:8]} :
            out_data_reg[g*16 +: 16];
    end
endgenerate

assign m_axis_tdata = out_data;
assign m_axis_tkeep = out_last_reg ? o_keep_reg : {BYTES{1'b1}};
assign m_axis_tvalid = out_valid_reg;
assign m_axis_tlast = out_last_reg;
assign m_axis_tuser = o_flags_reg;

always @* begin
    wr_bank_next = wr_bank_reg;
    wr_ptr_next = wr_ptr_reg;
    wr_drop_next = wr_drop_reg;
    drop_count_next = drop_count_reg;
    abort_count_next = abort_count_reg;
    busy_next = busy_reg;
    ready_next = ready_reg;
    rd_bank_next = rd_bank_reg;
    rd_ptr_next = rd_ptr_reg;
    out_valid_next = out_valid_reg;
    out_last_next = out_last_reg;
    out_beat_next = out_beat_reg;

    // write side: fill the current buffer; a frame that overflows it is discarded at its end
    if (in_beat) begin
        if (overflow) begin
            wr_drop_next = 1'b1;
        end else begin
            wr_ptr_next = wr_ptr_reg + 1'b1;
        end
        if (s_axis_tlast) begin
            wr_ptr_next = {PTR_WIDTH{1'b0}};
            wr_drop_next = 1'b0;
            if (frame_drop) begin
                drop_count_next = drop_count_reg + 1'b1;
            end else if (frame_abort) begin
                abort_count_next = abort_count_reg + 1'b1;
            end else begin
                busy_next[wr_bank_reg] = 1'b1;
                wr_bank_next = !wr_bank_reg;
            end
        end
    end

    // the checksums are in: the buffer may be sent
    if (p_valid && !p_drop) begin
        ready_next[p_bank] = 1'b1;
    end

    // read side: the RAM's registered read is the output register
    if (rd_en) begin
        out_valid_next = 1'b1;
        out_last_next = rd_last;
        out_beat_next = rd_ptr_reg;
        rd_ptr_next = rd_ptr_reg + 1'b1;
        if (rd_last) begin
            // the output register holds a copy of the record: the buffer is free
            rd_ptr_next = {PTR_WIDTH{1'b0}};
            ready_next[rd_bank_reg] = 1'b0;
            busy_next[rd_bank_reg] = 1'b0;
            rd_bank_next = !rd_bank_reg;
        end
    end else if (m_axis_tready) begin
        out_valid_next = 1'b0;
    end
end

always @(posedge clk) begin
    if (wr_en) begin
        mem[wr_addr] <= s_axis_tdata;
    end
    if (rd_en) begin
        out_data_reg <= mem[rd_addr];
        o_keep_reg <= keep_last_reg[rd_bank_reg];
        o_flags_reg <= flags_reg[rd_bank_reg];
        o_ip_csum_reg <= ip_csum_reg[rd_bank_reg];
        o_udp_csum_reg <= udp_csum_reg[rd_bank_reg];
        o_ip_pos_reg <= ip_pos_reg[rd_bank_reg];
        o_udp_pos_reg <= udp_pos_reg[rd_bank_reg];
    end
    if (in_end && !frame_drop && !frame_abort) begin
        nbeats_reg[wr_bank_reg] <= wr_ptr_reg + 1'b1;
        keep_last_reg[wr_bank_reg] <= s_axis_tkeep;
    end
    if (p_valid && !p_drop) begin
        flags_reg[p_bank] <= p_flags;
        ip_csum_reg[p_bank] <= csum_final(p_ip_sum);
        udp_csum_reg[p_bank] <= udp_csum == 16'd0 ? 16'hffff : udp_csum;
        ip_pos_reg[p_bank] <= p_ip_pos;
        udp_pos_reg[p_bank] <= p_udp_pos;
    end
end

always @(posedge clk) begin
    wr_bank_reg <= wr_bank_next;
    wr_ptr_reg <= wr_ptr_next;
    wr_drop_reg <= wr_drop_next;
    drop_count_reg <= drop_count_next;
    abort_count_reg <= abort_count_next;
    busy_reg <= busy_next;
    ready_reg <= ready_next;
    rd_bank_reg <= rd_bank_next;
    rd_ptr_reg <= rd_ptr_next;
    out_valid_reg <= out_valid_next;
    out_last_reg <= out_last_next;
    out_beat_reg <= out_beat_next;

    if (rst) begin
        wr_bank_reg <= 1'b0;
        wr_ptr_reg <= {PTR_WIDTH{1'b0}};
        wr_drop_reg <= 1'b0;
        drop_count_reg <= 32'd0;
        abort_count_reg <= 32'd0;
        busy_reg <= 2'b00;
        ready_reg <= 2'b00;
        rd_bank_reg <= 1'b0;
        rd_ptr_reg <= {PTR_WIDTH{1'b0}};
        out_valid_reg <= 1'b0;
        out_last_reg <= 1'b0;
    end
end

endmodule

`resetall
