// Language: Verilog 2001

`resetall
`timescale 1ns / 1ps
`default_nettype none

/*
 * Walks a DMA transfer burst by burst: loaded with a descriptor's address and length, it offers
 * the next burst (from `addr`, up to the next CHUNK_BYTES boundary, so no burst is larger than
 * CHUNK_BYTES or crosses 4 KiB and only the first one starts unaligned) and moves past it on
 * `advance`. dma_rd and dma_wr share it, and with it the checks of their common parameters.
 */
module dma_burst #
(
    // AXI data width in bits (64..512, power of 2)
    parameter DATA_WIDTH = 64,
    // Largest burst in bytes (power of 2, >= 2*DATA_WIDTH/8, <= 4096 and <= 256 beats)
    parameter CHUNK_BYTES = 512,
    // Width of a transfer length in bytes (> COUNT_WIDTH, <= 31)
    parameter LEN_WIDTH = 25,
    // Width of byte and beat counts within one burst (the engines' COUNT_WIDTH): at least
    // max(9, log2(CHUNK_BYTES) + 2), so 11 for the default CHUNK_BYTES
    parameter COUNT_WIDTH = 11
)
(
    input  wire                   clk,
    input  wire                   rst,

    // start a transfer (takes priority over everything else)
    input  wire                   load,
    input  wire [31:0]            load_addr,
    input  wire [LEN_WIDTH-1:0]   load_len,
    // the offered burst was issued
    input  wire                   advance,
    // abandon the transfer
    input  wire                   stop,

    // a transfer is in progress; the offered burst:
    output wire                   active,
    output wire [31:0]            addr,
    output wire [COUNT_WIDTH-1:0] bytes,
    output wire [COUNT_WIDTH-1:0] beats,
    // AxLEN: beats is 1..256, so its low 8 bits minus one
    output wire [7:0]             axlen,
    // this burst ends the transfer
    output wire                   last
);

localparam STRB_WIDTH = DATA_WIDTH/8;
localparam LANE_BITS = $clog2(STRB_WIDTH);
localparam CHUNK_LOG2 = $clog2(CHUNK_BYTES);
localparam COUNT_MIN = (CHUNK_LOG2 + 2 > 9) ? CHUNK_LOG2 + 2 : 9;
localparam LANE_MASK_INT = STRB_WIDTH - 1;
localparam [COUNT_WIDTH-1:0] LANE_MASK = LANE_MASK_INT[COUNT_WIDTH-1:0];

// check configuration
initial begin
    if (DATA_WIDTH < 64 || DATA_WIDTH > 512 || (DATA_WIDTH & (DATA_WIDTH-1)) != 0) begin
        $error("Error: DATA_WIDTH must be a power of 2 in 64..512, got %0d (instance %m)", DATA_WIDTH);
        $finish;
    end
    if (CHUNK_BYTES < 2*STRB_WIDTH || CHUNK_BYTES > 4096 || CHUNK_BYTES > 256*STRB_WIDTH ||
            (CHUNK_BYTES & (CHUNK_BYTES-1)) != 0) begin
        $error("Error: CHUNK_BYTES must be a power of 2, >= 2*DATA_WIDTH/8, <= 4096 and <= 256 beats, got %0d (instance %m)",
            CHUNK_BYTES);
        $finish;
    end
    if (COUNT_WIDTH < COUNT_MIN) begin
        $error("Error: COUNT_WIDTH must be at least %0d, got %0d (instance %m)", COUNT_MIN, COUNT_WIDTH);
        $finish;
    end
    if (LEN_WIDTH <= COUNT_WIDTH || LEN_WIDTH > 31) begin
        $error("Error: LEN_WIDTH must be %0d..31, got %0d (instance %m)", COUNT_WIDTH + 1, LEN_WIDTH);
        $finish;
    end
end

reg                    active_reg, active_next;
reg [31:0]             addr_reg, addr_next;
reg [LEN_WIDTH-1:0]    remain_reg, remain_next;

wire [LEN_WIDTH-1:0]   remain = remain_reg;

assign active = active_reg;
assign addr = addr_reg;

wire [COUNT_WIDTH-1:0] chunk_room = {{(COUNT_WIDTH-CHUNK_LOG2){1'b0}}, ~addr[CHUNK_LOG2-1:0]} + 1'b1;
wire                   room_limits = remain >= {{(LEN_WIDTH-COUNT_WIDTH){1'b0}}, chunk_room};
wire [COUNT_WIDTH-1:0] burst_end;

assign bytes = room_limits ? chunk_room : remain[COUNT_WIDTH-1:0];
assign burst_end = {{(COUNT_WIDTH-LANE_BITS){1'b0}}, addr[LANE_BITS-1:0]} + bytes + LANE_MASK;
assign beats = burst_end >> LANE_BITS;
assign axlen = beats[7:0] - 1'b1;
assign last = remain == {{(LEN_WIDTH-COUNT_WIDTH){1'b0}}, bytes};

always @* begin
    active_next = active_reg;
    addr_next = addr_reg;
    remain_next = remain_reg;

    if (advance) begin
        addr_next = addr_reg + {{(32-COUNT_WIDTH){1'b0}}, bytes};
        remain_next = remain_reg - {{(LEN_WIDTH-COUNT_WIDTH){1'b0}}, bytes};
        if (last) begin
            active_next = 1'b0;
        end
    end

    if (stop) begin
        active_next = 1'b0;
    end

    if (load) begin
        active_next = 1'b1;
        addr_next = load_addr;
        remain_next = load_len;
    end
end

always @(posedge clk) begin
    active_reg <= active_next;
    addr_reg <= addr_next;
    remain_reg <= remain_next;

    if (rst) begin
        active_reg <= 1'b0;
    end
end

endmodule

`resetall
