// Language: Verilog 2001

`resetall
`timescale 1ns / 1ps
`default_nettype none

/*
 * Flow steering decision: exact-match filters, then RSS, then the default queue.
 *
 * Filter f (lowest index wins) hits when it is enabled and every field selected by its match
 * mask equals the frame's: bit 0 dst MAC, bit 1 EtherType (after the VLAN tag), bit 2 IP
 * protocol, bit 3 dst IP, bit 4 dst port. The IP fields only match IPv4 frames and the port only
 * TCP/UDP frames (non-fragments), so a mask selecting them never hits anything else. An enabled
 * filter with an empty mask matches every frame. A hit delivers to the filter's queue, or drops
 * (queue reads 0). Without a hit, IPv4 frames take reta[hash % RSS_ENTRIES], everything else
 * default_queue. hash_valid is set for every IPv4 frame (the hash is computed and reported even
 * when a filter decides).
 *
 * The table is read from flat configuration buses (entry f at [f*W +: W]). One pipeline register:
 * s_ready = !m_valid || m_ready; s_user rides along with the decision.
 */
module flow_steer #
(
    // number of queues (1..256)
    parameter QUEUES = 8,
    // filter table entries (1..64)
    parameter FILTERS = 16,
    // indirection table entries (power of 2, 4..1024)
    parameter RSS_ENTRIES = 128,
    // sideband carried with each frame
    parameter USER_WIDTH = 1,
    // derived widths
    parameter QW = (QUEUES > 1) ? $clog2(QUEUES) : 1,
    parameter FW = (FILTERS > 1) ? $clog2(FILTERS) : 1
)
(
    input  wire                      clk,
    input  wire                      rst,

    /*
     * Configuration
     */
    input  wire [FILTERS-1:0]        filt_enable,
    input  wire [FILTERS-1:0]        filt_drop,
    input  wire [FILTERS*5-1:0]      filt_mask,
    input  wire [FILTERS*QW-1:0]     filt_queue,
    input  wire [FILTERS*48-1:0]     filt_dst_mac,
    input  wire [FILTERS*16-1:0]     filt_ethertype,
    input  wire [FILTERS*8-1:0]      filt_ip_proto,
    input  wire [FILTERS*32-1:0]     filt_dst_ip,
    input  wire [FILTERS*16-1:0]     filt_dst_port,
    input  wire [RSS_ENTRIES*QW-1:0] reta,
    input  wire [QW-1:0]             default_queue,

    /*
     * Frame (parsed header fields and the RSS hash)
     */
    input  wire                      s_valid,
    output wire                      s_ready,
    input  wire [47:0]               s_dst_mac,
    input  wire [15:0]               s_ethertype,
    input  wire                      s_is_ipv4,
    input  wire [7:0]                s_ip_proto,
    input  wire [31:0]               s_dst_ip,
    input  wire                      s_has_ports,
    input  wire [15:0]               s_dst_port,
    input  wire [31:0]               s_hash,
    input  wire [USER_WIDTH-1:0]     s_user,

    /*
     * Decision
     */
    output wire                      m_valid,
    input  wire                      m_ready,
    output wire                      m_drop,
    output wire [QW-1:0]             m_queue,
    output wire [31:0]               m_hash,
    output wire                      m_hash_valid,
    output wire                      m_filter_hit,
    output wire [FW-1:0]             m_filter_index,
    output wire [USER_WIDTH-1:0]     m_user
);

localparam RW = $clog2(RSS_ENTRIES);

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

// per-filter match (mask bit clear: field ignored)
wire [FILTERS-1:0] match;
genvar gf;
generate
    for (gf = 0; gf < FILTERS; gf = gf + 1) begin : gen_filter
        wire [4:0] m = filt_mask[gf*5 +: 5];
        wire mac_ok = !m[0] || s_dst_mac == filt_dst_mac[gf*48 +: 48];
        wire etype_ok = !m[1] || s_ethertype == filt_ethertype[gf*16 +: 16];
        wire proto_ok = !m[2] || (s_is_ipv4 && s_ip_proto == filt_ip_proto[gf*8 +: 8]);
        wire dip_ok = !m[3] || (s_is_ipv4 && s_dst_ip == filt_dst_ip[gf*32 +: 32]);
        wire dport_ok = !m[4] || (s_has_ports && s_dst_port == filt_dst_port[gf*16 +: 16]);
        assign match[gf] = filt_enable[gf] && mac_ok && etype_ok && proto_ok && dip_ok && dport_ok;
    end
endgenerate

// lowest matching index
reg          hit;
reg [FW-1:0] hit_index;
integer f;
always @* begin
    hit = 1'b0;
    hit_index = {FW{1'b0}};
    for (f = FILTERS-1; f >= 0; f = f - 1) begin
        if (match[f]) begin
            hit = 1'b1;
            hit_index = f[FW-1:0];
        end
    end
end

wire [RW-1:0] reta_index = s_hash[RW-1:0];
wire [QW-1:0] rss_queue = reta[reta_index*QW +: QW];

reg [QW-1:0] queue;
reg          drop;
always @* begin
    drop = 1'b0;
    if (hit) begin
        drop = filt_drop[hit_index];
        queue = drop ? {QW{1'b0}} : filt_queue[hit_index*QW +: QW];
    end else if (s_is_ipv4) begin
        queue = rss_queue;
    end else begin
        queue = default_queue;
    end
end

reg                   valid_reg;
reg                   drop_reg;
reg [QW-1:0]          queue_reg;
reg [31:0]            hash_reg;
reg                   hash_valid_reg;
reg                   hit_reg;
reg [FW-1:0]          hit_index_reg;
reg [USER_WIDTH-1:0]  user_reg;

assign s_ready = !valid_reg || m_ready;
assign m_valid = valid_reg;
assign m_drop = drop_reg;
assign m_queue = queue_reg;
assign m_hash = hash_reg;
assign m_hash_valid = hash_valid_reg;
assign m_filter_hit = hit_reg;
assign m_filter_index = hit_index_reg;
assign m_user = user_reg;

always @(posedge clk) begin
    if (s_ready) begin
        valid_reg <= s_valid;
        if (s_valid) begin
            drop_reg <= drop;
            queue_reg <= queue;
            hash_reg <= s_is_ipv4 ? s_hash : 32'd0;
            hash_valid_reg <= s_is_ipv4;
            hit_reg <= hit;
            hit_index_reg <= hit_index;
            user_reg <= s_user;
        end
    end

    if (rst) begin
        valid_reg <= 1'b0;
    end
end

endmodule

`resetall
