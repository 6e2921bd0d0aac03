// Language: Verilog 2001

`resetall
`timescale 1ns / 1ps
`default_nettype none

/*
 * Test top for the checksum offload blocks: rx_csum taps a pass-through RX stream
 * (s_axis_rx -> m_axis_rx, so the tap sees back-pressure from the sink), tx_csum sits in the
 * TX stream (s_axis_tx -> m_axis_tx). Not part of nic_top.
 */
module csum_top #
(
    // Data width in bits (64..512, power of 2)
    parameter DATA_WIDTH = 64,
    // tx_csum buffer size per frame in bytes
    parameter MAX_FRAME = 9216,
    // rx_csum result FIFO depth
    parameter RES_FIFO_DEPTH = 16
)
(
    input  wire                     clk,
    input  wire                     rst,

    /*
     * RX stream (passed through, tapped)
     */
    input  wire [DATA_WIDTH-1:0]    s_axis_rx_tdata,
    input  wire [DATA_WIDTH/8-1:0]  s_axis_rx_tkeep,
    input  wire                     s_axis_rx_tvalid,
    output wire                     s_axis_rx_tready,
    input  wire                     s_axis_rx_tlast,
    output wire [DATA_WIDTH-1:0]    m_axis_rx_tdata,
    output wire [DATA_WIDTH/8-1:0]  m_axis_rx_tkeep,
    output wire                     m_axis_rx_tvalid,
    input  wire                     m_axis_rx_tready,
    output wire                     m_axis_rx_tlast,

    /*
     * RX checksum results
     */
    output wire                     rx_res_valid,
    input  wire                     rx_res_ready,
    output wire                     rx_res_is_ipv4,
    output wire                     rx_res_ip_csum_ok,
    output wire                     rx_res_is_udp,
    output wire                     rx_res_l4_csum_present,
    output wire                     rx_res_l4_csum_ok,
    output wire                     rx_res_fragment,
    output wire                     rx_res_truncated,
    output wire [31:0]              rx_res_drop_count,

    /*
     * TX commands and stream
     */
    input  wire                     tx_cmd_valid,
    output wire                     tx_cmd_ready,
    input  wire                     tx_cmd_insert_ip,
    input  wire                     tx_cmd_insert_udp,
    input  wire [DATA_WIDTH-1:0]    s_axis_tx_tdata,
    input  wire [DATA_WIDTH/8-1:0]  s_axis_tx_tkeep,
    input  wire                     s_axis_tx_tvalid,
    output wire                     s_axis_tx_tready,
    input  wire                     s_axis_tx_tlast,
    input  wire                     s_axis_tx_tuser,
    output wire [DATA_WIDTH-1:0]    m_axis_tx_tdata,
    output wire [DATA_WIDTH/8-1:0]  m_axis_tx_tkeep,
    output wire                     m_axis_tx_tvalid,
    input  wire                     m_axis_tx_tready,
    output wire                     m_axis_tx_tlast,
    output wire [3:0]               m_axis_tx_tuser,
    output wire [31:0]              tx_drop_count,
    output wire [31:0]              tx_abort_count
);

assign m_axis_rx_tdata = s_axis_rx_tdata;
assign m_axis_rx_tkeep = s_axis_rx_tkeep;
assign m_axis_rx_tvalid = s_axis_rx_tvalid;
assign m_axis_rx_tlast = s_axis_rx_tlast;
assign s_axis_rx_tready = m_axis_rx_tready;

rx_csum #(
    .DATA_WIDTH(DATA_WIDTH),
    .RES_FIFO_DEPTH(RES_FIFO_DEPTH)
)
rx_csum_inst (
    .clk(clk),
    .rst(rst),
    .s_axis_tdata(s_axis_rx_tdata),
    .s_axis_tkeep(s_axis_rx_tkeep),
    .s_axis_tvalid(s_axis_rx_tvalid),
    .s_axis_tready(m_axis_rx_tready),
    .s_axis_tlast(s_axis_rx_tlast),
    .m_res_valid(rx_res_valid),
    .m_res_ready(rx_res_ready),
    .m_res_is_ipv4(rx_res_is_ipv4),
    .m_res_ip_csum_ok(rx_res_ip_csum_ok),
    .m_res_is_udp(rx_res_is_udp),
    .m_res_l4_csum_present(rx_res_l4_csum_present),
    .m_res_l4_csum_ok(rx_res_l4_csum_ok),
    .m_res_fragment(rx_res_fragment),
    .m_res_truncated(rx_res_truncated),
    .res_drop_count(rx_res_drop_count)
);

tx_csum #(
    .DATA_WIDTH(DATA_WIDTH),
    .MAX_FRAME(MAX_FRAME)
)
tx_csum_inst (
    .clk(clk),
    .rst(rst),
    .s_cmd_valid(tx_cmd_valid),
    .s_cmd_ready(tx_cmd_ready),
    .s_cmd_insert_ip(tx_cmd_insert_ip),
    .s_cmd_insert_udp(tx_cmd_insert_udp),
    .s_axis_tdata(s_axis_tx_tdata),
    .s_axis_tkeep(s_axis_tx_tkeep),
    .s_axis_tvalid(s_axis_tx_tvalid),
    .s_axis_tready(s_axis_tx_tready),
    .s_axis_tlast(s_axis_tx_tlast),
    .s_axis_tuser(s_axis_tx_tuser),
    .m_axis_tdata(m_axis_tx_tdata),
    .m_axis_tkeep(m_axis_tx_tkeep),
    .m_axis_tvalid(m_axis_tx_tvalid),
    .m_axis_tready(m_axis_tx_tready),
    .m_axis_tlast(m_axis_tx_tlast),
    .m_axis_tuser(m_axis_tx_tuser),
    .drop_count(tx_drop_count),
    .abort_count(tx_abort_count)
);

endmodule

`resetall
