// Language: Verilog 2001

`resetall
`timescale 1ns / 1ps
`default_nettype none

/*
 * AXI4-Lite slave to register strobe interface.
 *
 * Turns AXI4-Lite into one-cycle register strobes so that the register decode never sees AXI
 * handshakes (the axil_reg_if pattern). AW and W are accepted independently, in any order; once
 * both are held, reg_wr_en pulses for one cycle and the register block answers in that same
 * cycle on reg_wr_resp. Reads work the same way with reg_rd_en / reg_rd_data / reg_rd_resp.
 * One transaction per direction is in flight at a time; every AXI output is a register.
 */
module axil_reg_if #
(
    // Width of the byte address
    parameter ADDR_WIDTH = 12
)
(
    input  wire                   clk,
    input  wire                   rst,

    /*
     * AXI4-Lite slave interface
     */
    input  wire [ADDR_WIDTH-1:0]  s_axil_awaddr,
    input  wire                   s_axil_awvalid,
    output wire                   s_axil_awready,
    input  wire [31:0]            s_axil_wdata,
    input  wire [3:0]             s_axil_wstrb,
    input  wire                   s_axil_wvalid,
    output wire                   s_axil_wready,
    output wire [1:0]             s_axil_bresp,
    output wire                   s_axil_bvalid,
    input  wire                   s_axil_bready,
    input  wire [ADDR_WIDTH-1:0]  s_axil_araddr,
    input  wire                   s_axil_arvalid,
    output wire                   s_axil_arready,
    output wire [31:0]            s_axil_rdata,
    output wire [1:0]             s_axil_rresp,
    output wire                   s_axil_rvalid,
    input  wire                   s_axil_rready,

    /*
     * Register interface (response is sampled in the cycle of the strobe)
     */
    output wire [ADDR_WIDTH-1:0]  reg_wr_addr,
    output wire [31:0]            reg_wr_data,
    output wire [3:0]             reg_wr_strb,
    output wire                   reg_wr_en,
    input  wire [1:0]             reg_wr_resp,
    output wire [ADDR_WIDTH-1:0]  reg_rd_addr,
    output wire                   reg_rd_en,
    input  wire [31:0]            reg_rd_data,
    input  wire [1:0]             reg_rd_resp
);

// write path: hold AW and W until both are present and the previous B has been taken
reg                  aw_valid_reg, aw_valid_next;
reg [ADDR_WIDTH-1:0] aw_addr_reg, aw_addr_next;
reg                  w_valid_reg, w_valid_next;
reg [31:0]           w_data_reg, w_data_next;
reg [3:0]            w_strb_reg, w_strb_next;
reg                  bvalid_reg, bvalid_next;
reg [1:0]            bresp_reg, bresp_next;

// read path: hold AR until the previous R has been taken
reg                  ar_valid_reg, ar_valid_next;
reg [ADDR_WIDTH-1:0] ar_addr_reg, ar_addr_next;
reg                  rvalid_reg, rvalid_next;
reg [31:0]           rdata_reg, rdata_next;
reg [1:0]            rresp_reg, rresp_next;

wire do_write = aw_valid_reg && w_valid_reg && !bvalid_reg;
wire do_read = ar_valid_reg && !rvalid_reg;

assign s_axil_awready = !aw_valid_reg;
assign s_axil_wready = !w_valid_reg;
assign s_axil_bresp = bresp_reg;
assign s_axil_bvalid = bvalid_reg;
assign s_axil_arready = !ar_valid_reg;
assign s_axil_rdata = rdata_reg;
assign s_axil_rresp = rresp_reg;
assign s_axil_rvalid = rvalid_reg;

assign reg_wr_addr = aw_addr_reg;
assign reg_wr_data = w_data_reg;
assign reg_wr_strb = w_strb_reg;
assign reg_wr_en = do_write;
assign reg_rd_addr = ar_addr_reg;
assign reg_rd_en = do_read;

always @* begin
    aw_valid_next = aw_valid_reg;
    aw_addr_next = aw_addr_reg;
    w_valid_next = w_valid_reg;
    w_data_next = w_data_reg;
    w_strb_next = w_strb_reg;
    bvalid_next = bvalid_reg && !s_axil_bready;
    bresp_next = bresp_reg;

    ar_valid_next = ar_valid_reg;
    ar_addr_next = ar_addr_reg;
    rvalid_next = rvalid_reg && !s_axil_rready;
    rdata_next = rdata_reg;
    rresp_next = rresp_reg;

    // capture address and data independently (AXI allows either order)
    if (s_axil_awvalid && !aw_valid_reg) begin
        aw_valid_next = 1'b1;
        aw_addr_next = s_axil_awaddr;
    end
    if (s_axil_wvalid && !w_valid_reg) begin
        w_valid_next = 1'b1;
        w_data_next = s_axil_wdata;
        w_strb_next = s_axil_wstrb;
    end
    if (do_write) begin
        aw_valid_next = 1'b0;
        w_valid_next = 1'b0;
        bvalid_next = 1'b1;
        bresp_next = reg_wr_resp;
    end

    if (s_axil_arvalid && !ar_valid_reg) begin
        ar_valid_next = 1'b1;
        ar_addr_next = s_axil_araddr;
    end
    if (do_read) begin
        ar_valid_next = 1'b0;
        rvalid_next = 1'b1;
        rdata_next = reg_rd_data;
        rresp_next = reg_rd_resp;
    end
end

always @(posedge clk) begin
    aw_valid_reg <= aw_valid_next;
    aw_addr_reg <= aw_addr_next;
    w_valid_reg <= w_valid_next;
    w_data_reg <= w_data_next;
    w_strb_reg <= w_strb_next;
    bvalid_reg <= bvalid_next;
    bresp_reg <= bresp_next;

    ar_valid_reg <= ar_valid_next;
    ar_addr_reg <= ar_addr_next;
    rvalid_reg <= rvalid_next;
    rdata_reg <= rdata_next;
    rresp_reg <= rresp_next;

    if (rst) begin
        aw_valid_reg <= 1'b0;
        w_valid_reg <= 1'b0;
        bvalid_reg <= 1'b0;
        ar_valid_reg <= 1'b0;
        rvalid_reg <= 1'b0;
    end
end

endmodule

`resetall
