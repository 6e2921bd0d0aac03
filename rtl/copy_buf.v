// Language: Verilog 2001

`resetall
`timescale 1ns / 1ps
`default_nettype none

/*
 * Copy engine chunk buffer: a FIFO of destination-aligned words.
 *
 * The storage is a simple dual-port RAM with a registered read (block RAM on an FPGA); the read
 * register doubles as the output stage, so m_valid/m_data are registers. There is no s_ready:
 * the producer (copy_rd) only requests data it holds credits for, so a push never finds the
 * FIFO full. count is the number of words pushed and not yet popped (RAM plus output register).
 */
module copy_buf #
(
    // Word width in bits
    parameter DATA_WIDTH = 64,
    // Number of RAM words, power of 2
    parameter DEPTH = 128,
    // Width of count, at least $clog2(DEPTH)+2
    parameter COUNT_WIDTH = 10
)
(
    input  wire                    clk,
    input  wire                    rst,

    // drop all contents (start of a copy)
    input  wire                    clear,

    /*
     * Write side
     */
    input  wire [DATA_WIDTH-1:0]   s_data,
    input  wire                    s_valid,

    /*
     * Read side
     */
    output wire [DATA_WIDTH-1:0]   m_data,
    output wire                    m_valid,
    input  wire                    m_ready,

    output wire [COUNT_WIDTH-1:0]  count
);

localparam ADDR_WIDTH = $clog2(DEPTH);

// pointers carry one extra bit so that full and empty differ
reg [ADDR_WIDTH:0]    wr_ptr_reg, wr_ptr_next;
reg [ADDR_WIDTH:0]    rd_ptr_reg, rd_ptr_next;
reg                   m_valid_reg, m_valid_next;
reg [COUNT_WIDTH-1:0] count_reg, count_next;

(* ramstyle = "no_rw_check" *)
reg [DATA_WIDTH-1:0]  mem [0:DEPTH-1];
reg [DATA_WIDTH-1:0]  m_data_reg;

wire empty = wr_ptr_reg == rd_ptr_reg;
wire pop = m_valid_reg && m_ready;
// load the output register whenever it is empty or being emptied
wire rd_en = !empty && (!m_valid_reg || m_ready);

assign m_data = m_data_reg;
assign m_valid = m_valid_reg;
assign count = count_reg;

always @* begin
    wr_ptr_next = wr_ptr_reg;
    rd_ptr_next = rd_ptr_reg;
    m_valid_next = m_valid_reg;
    count_next = count_reg;

    if (s_valid) begin
        wr_ptr_next = wr_ptr_reg + 1'b1;
    end

    if (rd_en) begin
        rd_ptr_next = rd_ptr_reg + 1'b1;
        m_valid_next = 1'b1;
    end else if (m_ready) begin
        m_valid_next = 1'b0;
    end

    case ({s_valid, pop})
        2'b10: count_next = count_reg + 1'b1;
        2'b01: count_next = count_reg - 1'b1;
        default: count_next = count_reg;
    endcase

    if (clear) begin
        wr_ptr_next = {ADDR_WIDTH+1{1'b0}};
        rd_ptr_next = {ADDR_WIDTH+1{1'b0}};
        m_valid_next = 1'b0;
        count_next = {COUNT_WIDTH{1'b0}};
    end
end

always @(posedge clk) begin
    if (s_valid) begin
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
        count_reg <= {COUNT_WIDTH{1'b0}};
    end
end

endmodule

`resetall
