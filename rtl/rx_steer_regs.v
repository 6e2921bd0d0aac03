// Language: Verilog 2001

`resetall
`timescale 1ns / 1ps
`default_nettype none

/*
 * Configuration registers of rx_steer: RSS key, indirection table, filter table, default queue.
 *
 * Local 4 KiB map of 32-bit words (address bits [1:0] ignored, byte strobes honoured):
 *
 *   0x000          QUEUES (RO)
 *   0x004          FILTERS (RO)
 *   0x008          RSS_ENTRIES (RO)
 *   0x00C          DEFAULT_QUEUE  [15:0] queue for frames that are neither filtered nor IPv4
 *   0x010          RSS_CTRL       [0] hash TCP ports, [1] hash UDP ports (reset 0x3)
 *   0x040 + 4k     RSS_KEY k (k < 10), key byte 4k in [31:24] (reset: the Microsoft sample key)
 *   0x400 + 4w     RETA w (w < RSS_ENTRIES/4), entry 4w+b in byte b (reset: entry i = i % QUEUES)
 *   0x800 + 32f    FILTER f (f < FILTERS), words:
 *                    +0x00 CTRL     [31] enable, [30] drop, [20:16] match mask, [15:0] queue
 *                    +0x04 MAC_LO   dst MAC [31:0]  (MAC as a number, first wire byte in [47:40])
 *                    +0x08 MAC_HI   dst MAC [47:32] in [15:0]
 *                    +0x0C TYPE     [15:0] EtherType, [23:16] IP protocol
 *                    +0x10 DST_IP   (first wire byte in [31:24])
 *                    +0x14 DST_PORT [15:0]
 *
 * Strobes answer in the same cycle (reg_*_wait is always 0, reg_*_ack mirrors the strobe), like
 * the rest of the register path. A write is refused (reg_wr_err, nothing changes) when the
 * address is unmapped, or when a queue number it would store (DEFAULT_QUEUE, CTRL queue, any
 * strobed RETA byte) is >= QUEUES. Unmapped reads return 0 with reg_rd_err. Writes to the RO
 * words are ignored without an error. Bits not listed read 0.
 */
module rx_steer_regs #
(
    // number of queues (1..256)
    parameter QUEUES = 8,
    // filter table entries (1..64)
    parameter FILTERS = 16,
    // indirection table entries (power of 2, 4..1024)
    parameter RSS_ENTRIES = 128,
    // derived width
    parameter QW = (QUEUES > 1) ? $clog2(QUEUES) : 1
)
(
    input  wire                      clk,
    input  wire                      rst,

    /*
     * Register interface
     */
    input  wire [11:0]               reg_wr_addr,
    input  wire [31:0]               reg_wr_data,
    input  wire [3:0]                reg_wr_strb,
    input  wire                      reg_wr_en,
    output wire                      reg_wr_wait,
    output wire                      reg_wr_ack,
    output wire                      reg_wr_err,
    input  wire [11:0]               reg_rd_addr,
    input  wire                      reg_rd_en,
    output wire [31:0]               reg_rd_data,
    output wire                      reg_rd_wait,
    output wire                      reg_rd_ack,
    output wire                      reg_rd_err,

    /*
     * Configuration out
     */
    output wire [319:0]              key,
    output wire                      rss_tcp_ports,
    output wire                      rss_udp_ports,
    output wire [QW-1:0]             default_queue,
    output wire [RSS_ENTRIES*QW-1:0] reta,
    output wire [FILTERS-1:0]        filt_enable,
    output wire [FILTERS-1:0]        filt_drop,
    output wire [FILTERS*5-1:0]      filt_mask,
    output wire [FILTERS*QW-1:0]     filt_queue,
    output wire [FILTERS*48-1:0]     filt_dst_mac,
    output wire [FILTERS*16-1:0]     filt_ethertype,
    output wire [FILTERS*8-1:0]      filt_ip_proto,
    output wire [FILTERS*32-1:0]     filt_dst_ip,
    output wire [FILTERS*16-1:0]     filt_dst_port
);

localparam [319:0] DEFAULT_KEY =
    320'h6d5a56da255b0ec24167253d43a38fb0d0ca2bcbae7b30b477cb2da38030f20c6a42b73bbeac01fa;
localparam [9:0] KEY_BASE = 10'h010;      // word addresses (byte address / 4)
localparam [9:0] RETA_BASE = 10'h100;
localparam [9:0] FILT_BASE = 10'h200;
localparam [9:0] KEY_WORDS = 10;
localparam integer RETA_WORDS_I = RSS_ENTRIES/4;
localparam integer FILT_WORDS_I = FILTERS*8;
localparam integer QUEUES_I = QUEUES;
localparam [9:0] RETA_WORDS = RETA_WORDS_I[9:0];
localparam [10:0] FILT_WORDS = FILT_WORDS_I[10:0];
localparam [16:0] QUEUES17 = QUEUES_I[16:0];
localparam integer FILTERS_I = FILTERS;
localparam integer RSS_ENTRIES_I = RSS_ENTRIES;
localparam [31:0] QUEUES32 = QUEUES_I;
localparam [31:0] FILTERS32 = FILTERS_I;
localparam [31:0] RSS_ENTRIES32 = RSS_ENTRIES_I;
// array index widths
localparam RIW = (RSS_ENTRIES > 4) ? $clog2(RSS_ENTRIES/4) : 1;
localparam FIW = $clog2(FILTERS*8);
// the queue field of a CTRL word
localparam [31:0] QMASK = (32'd1 << QW) - 32'd1;

initial begin
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

// storage: whole words, holding only implemented bits (a refused write never lands, so stored
// queue numbers are always < QUEUES)
reg [31:0] key_mem[0:9];
reg [31:0] reta_mem[0:RSS_ENTRIES/4-1];
reg [31:0] filt_mem[0:FILTERS*8-1];
reg [1:0]  rss_ctrl_reg;
reg [QW-1:0] default_queue_reg;

assign rss_tcp_ports = rss_ctrl_reg[0];
assign rss_udp_ports = rss_ctrl_reg[1];
assign default_queue = default_queue_reg;

wire [RSS_ENTRIES*8-1:0] reta_init;

genvar gk, gr, gf;
generate
    for (gk = 0; gk < 10; gk = gk + 1) begin : gen_key
        assign key[319 - gk*32 -: 32] = key_mem[gk];
    end
    for (gr = 0; gr < RSS_ENTRIES; gr = gr + 1) begin : gen_reta
        localparam integer R = gr % QUEUES;
        assign reta[gr*QW +: QW] = reta_mem[gr/4][(gr%4)*8 +: QW];
        // reset contents: entry i = i % QUEUES
        assign reta_init[gr*8 +: 8] = R[7:0];
    end
    for (gf = 0; gf < FILTERS; gf = gf + 1) begin : gen_filt
        wire [31:0] ctrl = filt_mem[gf*8 + 0];
        wire [31:0] mac_hi = filt_mem[gf*8 + 2];
        wire [31:0] ftype = filt_mem[gf*8 + 3];
        wire [31:0] dport = filt_mem[gf*8 + 5];
        assign filt_enable[gf] = ctrl[31];
        assign filt_drop[gf] = ctrl[30];
        assign filt_mask[gf*5 +: 5] = ctrl[20:16];
        assign filt_queue[gf*QW +: QW] = ctrl[QW-1:0];
        assign filt_dst_mac[gf*48 +: 48] = {mac_hi[15:0], filt_mem[gf*8 + 1]};
        assign filt_ethertype[gf*16 +: 16] = ftype[15:0];
        assign filt_ip_proto[gf*8 +: 8] = ftype[23:16];
        assign filt_dst_ip[gf*32 +: 32] = filt_mem[gf*8 + 4];
        assign filt_dst_port[gf*16 +: 16] = dport[15:0];
        // the upper RETA byte bits and the unused CTRL/MAC_HI/TYPE/DST_PORT bits are always 0
        wire unused_filt = &{1'b0, ctrl[29:21], ctrl[15:QW], mac_hi[31:16], ftype[31:24], dport[31:16]};
    end
endgenerate

// decode of a word address: region and index within it
localparam [2:0] R_NONE = 3'd0, R_GLOBAL = 3'd1, R_KEY = 3'd2, R_RETA = 3'd3, R_FILT = 3'd4;

function [2:0] region;
    input [9:0] a;
    reg [2:0] off;
    begin
        region = R_NONE;
        off = a[2:0]; // FILT_BASE is 8-word aligned
        if (a < KEY_BASE) begin
            if (a <= 10'd4) region = R_GLOBAL;
        end else if (a < KEY_BASE + KEY_WORDS) begin
            region = R_KEY;
        end else if (a >= RETA_BASE && a < RETA_BASE + RETA_WORDS) begin
            region = R_RETA;
        end else if (a >= FILT_BASE && {1'b0, a} < {1'b0, FILT_BASE} + FILT_WORDS && off <= 3'd5) begin
            region = R_FILT;
        end
    end
endfunction

// implemented bits of each filter word
function [31:0] filt_bits;
    input [2:0] w;
    begin
        case (w)
            3'd0: filt_bits = 32'hC01F_0000 | QMASK;
            3'd2: filt_bits = 32'h0000_FFFF;
            3'd3: filt_bits = 32'h00FF_FFFF;
            3'd5: filt_bits = 32'h0000_FFFF;
            default: filt_bits = 32'hFFFF_FFFF;
        endcase
    end
endfunction

// reads
wire [9:0] ra = reg_rd_addr[11:2];
wire [2:0] rr = region(ra);
reg [31:0] rd_word;
always @* begin
    case (rr)
        R_GLOBAL: begin
            case (ra[2:0])
                3'd0: rd_word = QUEUES32;
                3'd1: rd_word = FILTERS32;
                3'd2: rd_word = RSS_ENTRIES32;
                3'd3: rd_word = {{(32-QW){1'b0}}, default_queue_reg};
                default: rd_word = {30'd0, rss_ctrl_reg};
            endcase
        end
        R_KEY: rd_word = key_mem[ra[3:0]];
        R_RETA: rd_word = reta_mem[ra[RIW-1:0]];
        R_FILT: rd_word = filt_mem[ra[FIW-1:0]];
        default: rd_word = 32'd0;
    endcase
end
assign reg_rd_data = (reg_rd_en && rr != R_NONE) ? rd_word : 32'd0;
assign reg_rd_wait = 1'b0;
assign reg_rd_ack = reg_rd_en;
assign reg_rd_err = reg_rd_en && rr == R_NONE;

// writes: merge the strobed bytes into the current word, then check the result
wire [9:0] wa = reg_wr_addr[11:2];
wire [2:0] wr = region(wa);
reg [31:0] wr_old;
always @* begin
    case (wr)
        R_GLOBAL: wr_old = (wa[2:0] == 3'd3) ? {{(32-QW){1'b0}}, default_queue_reg} : {30'd0, rss_ctrl_reg};
        R_KEY: wr_old = key_mem[wa[3:0]];
        R_RETA: wr_old = reta_mem[wa[RIW-1:0]];
        R_FILT: wr_old = filt_mem[wa[FIW-1:0]];
        default: wr_old = 32'd0;
    endcase
end
wire [31:0] strb_mask = {{8{reg_wr_strb[3]}}, {8{reg_wr_strb[2]}}, {8{reg_wr_strb[1]}}, {8{reg_wr_strb[0]}}};
wire [31:0] wr_word = (wr_old & ~strb_mask) | (reg_wr_data & strb_mask);

reg bad_queue;
integer qb;
always @* begin
    bad_queue = 1'b0;
    if ((wr == R_GLOBAL && wa[2:0] == 3'd3) || (wr == R_FILT && wa[2:0] == 3'd0)) begin
        bad_queue = {1'b0, wr_word[15:0]} >= QUEUES17;
    end else if (wr == R_RETA) begin
        for (qb = 0; qb < 4; qb = qb + 1) begin
            if (reg_wr_strb[qb] && {9'd0, wr_word[qb*8 +: 8]} >= QUEUES17) begin
                bad_queue = 1'b1;
            end
        end
    end
end

wire wr_refused = wr == R_NONE || bad_queue;
wire do_write = reg_wr_en && !wr_refused;
assign reg_wr_wait = 1'b0;
assign reg_wr_ack = reg_wr_en;
assign reg_wr_err = reg_wr_en && wr_refused;

// address bits [1:0] select a byte within the word: ignored
wire unused = &{1'b0, reg_wr_addr[1:0], reg_rd_addr[1:0]};

integer i;
always @(posedge clk) begin
    if (do_write) begin
        case (wr)
            R_GLOBAL: begin
                if (wa[2:0] == 3'd3) begin
                    default_queue_reg <= wr_word[QW-1:0];
                end else if (wa[2:0] == 3'd4) begin
                    rss_ctrl_reg <= wr_word[1:0];
                end
            end
            R_KEY: key_mem[wa[3:0]] <= wr_word;
            R_RETA: reta_mem[wa[RIW-1:0]] <= wr_word;
            default: filt_mem[wa[FIW-1:0]] <= wr_word & filt_bits(wa[2:0]);
        endcase
    end

    if (rst) begin
        for (i = 0; i < 10; i = i + 1) begin
            key_mem[i] <= DEFAULT_KEY[319 - i*32 -: 32];
        end
        for (i = 0; i < RSS_ENTRIES/4; i = i + 1) begin
            reta_mem[i] <= reta_init[i*32 +: 32];
        end
        for (i = 0; i < FILTERS*8; i = i + 1) begin
            filt_mem[i] <= 32'd0;
        end
        rss_ctrl_reg <= 2'b11;
        default_queue_reg <= {QW{1'b0}};
    end
end

endmodule

`resetall
