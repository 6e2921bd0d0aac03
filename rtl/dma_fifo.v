// Language: Verilog 2001

`resetall
`timescale 1ns / 1ps
`default_nettype none

/*
 * Synchronous FIFO for the DMA engines, valid/ready on both sides.
 *
 * The storage is a simple dual-port RAM with a registered read (block RAM on an FPGA, or LUT RAM
 * for the small descriptor queues); the read register doubles as the output stage, so m_valid and
 * m_data are registers and a pushed word appears two cycles later. count is the number of words
 * held (RAM plus output register); s_ready is low when it reaches DEPTH, so the RAM never
 * overflows.
 */
module dma_fifo #
(
    // word width in bits
    parameter WIDTH = 8,
    // capacity in words (power of 2, >= 2)
    parameter DEPTH = 4
)
(
    input  wire                       clk,
    input  wire                       rst,

    input  wire [WIDTH-1:0]           s_data,
    input  wire                       s_valid,
    output wire                       s_ready,

    output wire [WIDTH-1:0]           m_data,
    output wire                       m_valid,
    input  wire                       m_ready,

    output wire [$clog2(DEPTH):0]     count
);

localparam ADDR_WIDTH = $clog2(DEPTH);
localparam [ADDR_WIDTH:0] FULL_COUNT = DEPTH[ADDR_WIDTH:0];

// check configuration
initial begin
    if (DEPTH < 2 || (1 << ADDR_WIDTH) != DEPTH) begin
        $error("Error: DEPTH must be a power of 2, >= 2, got %0d (instance %m)", DEPTH);
        $finish;
    end
end

// pointers carry one extra bit so that full and empty differ
reg [ADDR_WIDTH:0]    wr_ptr_reg, wr_ptr_next;
reg [ADDR_WIDTH:0]    rd_ptr_reg, rd_ptr_next;
reg                   m_valid_reg, m_valid_next;
reg [ADDR_WIDTH:0]    count_reg, count_next;

(* ramstyle = "no_rw_check" *)
reg [WIDTH-1:0]       mem [0:DEPTH-1];
reg [WIDTH-1:0]       m_data_reg;

wire push = s_valid && s_ready;
wire empty = wr_ptr_reg == rd_ptr_reg;
wire pop = m_valid_reg && m_ready;
// load the output register whenever it is empty or being emptied
wire rd_en = !empty && (!m_valid_reg || m_ready);

assign s_ready = count_reg != FULL_COUNT;
assign m_data = m_data_reg;
assign m_valid = m_valid_reg;
assign count = count_reg;

always @* begin
    wr_ptr_next = wr_ptr_reg;
    rd_ptr_next = rd_ptr_reg;
    m_valid_next = m_valid_reg;
    count_next = count_reg;

    if (push) begin
        wr_ptr_next = wr_ptr_reg + 1'b1;
    end

    if (rd_en) begin
        rd_ptr_next = rd_ptr_reg + 1'b1;
        m_valid_next = 1'b1;
    end else if (m_ready) begin
        m_valid_next = 1'b0;
    end

    case ({push, pop})
        2'b10: count_next = count_reg + 1'b1;
        2'b01: count_next = count_reg - 1'b1;
        default: count_next = count_reg;
    endcase
end

always @(posedge clk) begin
    if (push) begin
        mem[wr_ptr_reg[ADDR_WIDTH-1:0]] <= s_data;
    end
    if (rd_en) begin
        m_data_reg <= mem[rd_ptr_reg[ADDR_WIDTH-1:0]];
    end
end

always @(posedge clk) begin
    wr_ptr_reg <= wr_ptr_next;
    rd_ptr_reg <= rd_ptr_next;
    m_valid_reg <= m_valid_next;
    count_reg <= count_next;

    if (rst) begin
        wr_ptr_reg <= {ADDR_WIDTH+1{1'b0}};
        rd_ptr_reg <= {ADDR_WIDTH+1{1'b0}};
        m_valid_reg <= 1'b0;
        count_reg <= {ADDR_WIDTH+1{1'b0}};
    end
end

endmodule

`resetall
