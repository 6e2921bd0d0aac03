// Language: SystemVerilog 2017 (DPI-C)

`resetall
`timescale 1ns / 1ps
`default_nettype none

/*
 * The burst-level co-simulation port (testbench only, never synthesized): zcnic_cosim_top with
 * every bus and stream connected to zcport.cpp through one DPI-C call per clock edge. The C++ side
 * is the AXI4 slave of the DMA master, the AXI4-Lite master of the registers, the MAC stream
 * source and sink, and the interrupt capture; it queues whole bursts, frames, MMIO completions and
 * interrupts stamped with their cycle, which cocotb drains once per sync window
 * (tb/zcnic_tb/port.py). Timing: docs/cosim-port.md.
 *
 * At each rising edge the call sees the NIC's outputs as they were before the edge (the values a
 * flop would sample) and returns the port's outputs, which take effect after the edge through
 * nonblocking assignments, so both sides behave as registered logic.
 */
module zcnic_port_top #
(
    parameter DATA_WIDTH = 64,
    parameter ID_WIDTH = 4,
    parameter CHUNK_BYTES = 512,
    parameter TX_QUEUES = 4,
    parameter RX_QUEUES = 4,
    parameter MAX_RING_LOG2 = 10,
    parameter MAX_FRAGS = 32,
    parameter FILTERS = 16,
    parameter RSS_ENTRIES = 128,
    parameter IRQ_VECTORS = 1 + TX_QUEUES + RX_QUEUES,
    parameter RESET_CYCLES = 8,
    parameter CLOCK_PERIOD_PS = 4000
)
(
);

localparam KEEP = DATA_WIDTH / 8;

initial begin
    if (DATA_WIDTH < 64 || DATA_WIDTH > 512 || (DATA_WIDTH & (DATA_WIDTH - 1)) != 0) begin
        $error("DATA_WIDTH %0d: the port carries 64..512-bit powers of two", DATA_WIDTH);
        $finish;
    end
    if (ID_WIDTH < 1 || ID_WIDTH > 16) begin
        $error("ID_WIDTH %0d: the port carries 1..16-bit AXI IDs", ID_WIDTH);
        $finish;
    end
    if (CLOCK_PERIOD_PS < 2 || CLOCK_PERIOD_PS % 2 != 0) begin
        $error("CLOCK_PERIOD_PS %0d: a positive even number", CLOCK_PERIOD_PS);
        $finish;
    end
    if (RESET_CYCLES < 1 || RESET_CYCLES > 255) begin
        $error("RESET_CYCLES %0d: 1..255", RESET_CYCLES);
        $finish;
    end
    if (IRQ_VECTORS < 1 || IRQ_VECTORS > 64) begin
        $error("IRQ_VECTORS %0d: the port captures 1..64 vectors", IRQ_VECTORS);
        $finish;
    end
end

// one call per edge; the packing of the control words is documented in zcport.cpp
import "DPI-C" function void zcport_config(input int data_bytes, input int irq_vectors, input int axil_addr_bits);
import "DPI-C" function void zcport_tick(
    input  longint unsigned t_ps,
    input  bit              rst,
    input  longint unsigned irq,
    input  int unsigned     axil_in,
    input  int unsigned     axil_rdata,
    input  int unsigned     aw_addr,
    input  int unsigned     aw_ctl,
    input  int unsigned     ar_addr,
    input  int unsigned     ar_ctl,
    input  bit [511:0]      w_data,
    input  longint unsigned w_strb,
    input  int unsigned     misc_in,
    input  bit [511:0]      tx_data,
    input  longint unsigned tx_keep,
    output int unsigned     axil_out,
    output int unsigned     axil_awaddr,
    output int unsigned     axil_araddr,
    output int unsigned     axil_wdata,
    output int unsigned     axi_out,
    output int unsigned     axi_ids,
    output bit [511:0]      r_data,
    output bit [511:0]      rx_data,
    output longint unsigned rx_keep,
    output int unsigned     evt_a,
    output int unsigned     evt_seq
);

initial zcport_config(KEEP, IRQ_VECTORS, 13);

// The clock and reset come from here, not from cocotb. A clock toggled through VPI costs
// several evaluations of the whole model per edge; this one costs one (Verilator --timing).
logic clk;
initial clk = 1'b1;
always #(real'(CLOCK_PERIOD_PS) / 2000.0) clk = ~clk;

// Reset, likewise: with only the clock as a primary input, Verilator
// evaluates the NIC's combinational logic on clock edges only, not on every time step (a primary
// reset input put all of it in the input-combinational region, half the simulation time).
logic [7:0] rst_cnt;
initial rst_cnt = 8'(RESET_CYCLES);
wire rst = rst_cnt != 0;
always @(posedge clk) if (rst_cnt != 0) rst_cnt <= rst_cnt - 8'd1;

// --- the NIC's ports ---------------------------------------------------------------------------
wire [12:0]           s_axil_awaddr;
wire                  s_axil_awvalid, s_axil_awready;
wire [31:0]           s_axil_wdata;
wire [3:0]            s_axil_wstrb;
wire                  s_axil_wvalid, s_axil_wready;
wire [1:0]            s_axil_bresp;
wire                  s_axil_bvalid, s_axil_bready;
wire [12:0]           s_axil_araddr;
wire                  s_axil_arvalid, s_axil_arready;
wire [31:0]           s_axil_rdata;
wire [1:0]            s_axil_rresp;
wire                  s_axil_rvalid, s_axil_rready;
wire [ID_WIDTH-1:0]   m_axi_awid, m_axi_arid, m_axi_bid, m_axi_rid;
wire [31:0]           m_axi_awaddr, m_axi_araddr;
wire [7:0]            m_axi_awlen, m_axi_arlen;
wire [2:0]            m_axi_awsize, m_axi_arsize, m_axi_awprot, m_axi_arprot;
wire [1:0]            m_axi_awburst, m_axi_arburst, m_axi_bresp, m_axi_rresp;
wire                  m_axi_awlock, m_axi_arlock;
wire [3:0]            m_axi_awcache, m_axi_arcache;
wire                  m_axi_awvalid, m_axi_awready, m_axi_wlast, m_axi_wvalid, m_axi_wready;
wire [DATA_WIDTH-1:0] m_axi_wdata, m_axi_rdata;
wire [KEEP-1:0]       m_axi_wstrb;
wire                  m_axi_bvalid, m_axi_bready, m_axi_arvalid, m_axi_arready;
wire                  m_axi_rlast, m_axi_rvalid, m_axi_rready;
wire [DATA_WIDTH-1:0] m_axis_tx_tdata, s_axis_rx_tdata;
wire [KEEP-1:0]       m_axis_tx_tkeep, s_axis_rx_tkeep;
wire                  m_axis_tx_tvalid, m_axis_tx_tready, m_axis_tx_tlast;
wire                  s_axis_rx_tvalid, s_axis_rx_tready, s_axis_rx_tlast, s_axis_rx_tuser;
wire [IRQ_VECTORS-1:0] irq;

// --- the port's registered outputs -------------------------------------------------------------
logic [31:0]  axil_out_q, axil_awaddr_q, axil_araddr_q, axil_wdata_q;
logic [31:0]  axi_out_q, axi_ids_q, evt_a_q, evt_seq_q;
logic [511:0] r_data_q, rx_data_q;
logic [63:0]  rx_keep_q;
initial begin  // idle until the first edge
    {axil_out_q, axil_awaddr_q, axil_araddr_q, axil_wdata_q} = '0;
    {axi_out_q, axi_ids_q, evt_a_q, evt_seq_q} = '0;
    {r_data_q, rx_data_q, rx_keep_q} = '0;
end

always @(posedge clk) begin : tick
    int unsigned axil_out, axil_awaddr, axil_araddr, axil_wdata, axi_out, axi_ids, evt_a, evt_seq;
    bit [511:0] r_data, rx_data;
    longint unsigned rx_keep;
    zcport_tick(
        longint'($realtime * 1000.0), rst, 64'(irq),
        {23'd0, s_axil_rresp, s_axil_bresp, s_axil_rvalid, s_axil_arready, s_axil_bvalid, s_axil_wready, s_axil_awready},
        s_axil_rdata,
        m_axi_awaddr, {2'd0, m_axi_awvalid, m_axi_awburst, m_axi_awsize, m_axi_awlen, 16'(m_axi_awid)},
        m_axi_araddr, {2'd0, m_axi_arvalid, m_axi_arburst, m_axi_arsize, m_axi_arlen, 16'(m_axi_arid)},
        512'(m_axi_wdata), 64'(m_axi_wstrb),
        {25'd0, s_axis_rx_tready, m_axis_tx_tlast, m_axis_tx_tvalid, m_axi_rready, m_axi_bready, m_axi_wlast, m_axi_wvalid},
        512'(m_axis_tx_tdata), 64'(m_axis_tx_tkeep),
        axil_out, axil_awaddr, axil_araddr, axil_wdata, axi_out, axi_ids, r_data, rx_data, rx_keep, evt_a, evt_seq
    );
    axil_out_q <= axil_out;
    axil_awaddr_q <= axil_awaddr;
    axil_araddr_q <= axil_araddr;
    axil_wdata_q <= axil_wdata;
    axi_out_q <= axi_out;
    axi_ids_q <= axi_ids;
    r_data_q <= r_data;
    rx_data_q <= rx_data;
    rx_keep_q <= rx_keep;
    evt_a_q <= evt_a;
    evt_seq_q <= evt_seq;
end

// axil_out: {wstrb[3:0], rready, bready, arvalid, wvalid, awvalid}
assign s_axil_awvalid = axil_out_q[0];
assign s_axil_wvalid  = axil_out_q[1];
assign s_axil_arvalid = axil_out_q[2];
assign s_axil_bready  = axil_out_q[3];
assign s_axil_rready  = axil_out_q[4];
assign s_axil_wstrb   = axil_out_q[8:5];
assign s_axil_awaddr  = axil_awaddr_q[12:0];
assign s_axil_araddr  = axil_araddr_q[12:0];
assign s_axil_wdata   = axil_wdata_q;
// axi_out: {rx_tuser, rx_tlast, rx_tvalid, tx_tready, rvalid, rlast, rresp[1:0], bvalid, bresp[1:0], arready, wready, awready}
assign m_axi_awready    = axi_out_q[0];
assign m_axi_wready     = axi_out_q[1];
assign m_axi_arready    = axi_out_q[2];
assign m_axi_bresp      = axi_out_q[4:3];
assign m_axi_bvalid     = axi_out_q[5];
assign m_axi_rresp      = axi_out_q[7:6];
assign m_axi_rlast      = axi_out_q[8];
assign m_axi_rvalid     = axi_out_q[9];
assign m_axis_tx_tready = axi_out_q[10];
assign s_axis_rx_tvalid = axi_out_q[11];
assign s_axis_rx_tlast  = axi_out_q[12];
assign s_axis_rx_tuser  = axi_out_q[13];
// axi_ids: {rid[15:0], bid[15:0]}
assign m_axi_bid        = axi_ids_q[ID_WIDTH-1:0];
assign m_axi_rid        = axi_ids_q[16 +: ID_WIDTH];
assign m_axi_rdata      = r_data_q[DATA_WIDTH-1:0];
assign s_axis_rx_tdata  = rx_data_q[DATA_WIDTH-1:0];
assign s_axis_rx_tkeep  = rx_keep_q[KEEP-1:0];

// inputs of the NIC the port never drives, and outputs it does not look at
wire unused = &{1'b0, axil_out_q[31:9], axi_out_q[31:14], axi_ids_q, axil_awaddr_q, axil_araddr_q,
                r_data_q, rx_data_q, rx_keep_q, m_axi_awlock, m_axi_arlock,
                m_axi_awcache, m_axi_arcache, m_axi_awprot, m_axi_arprot};

zcnic_cosim_top #(
    .DATA_WIDTH(DATA_WIDTH),
    .ID_WIDTH(ID_WIDTH),
    .CHUNK_BYTES(CHUNK_BYTES),
    .TX_QUEUES(TX_QUEUES),
    .RX_QUEUES(RX_QUEUES),
    .MAX_RING_LOG2(MAX_RING_LOG2),
    .MAX_FRAGS(MAX_FRAGS),
    .FILTERS(FILTERS),
    .RSS_ENTRIES(RSS_ENTRIES),
    .IRQ_VECTORS(IRQ_VECTORS)
)
nic (
    .clk(clk),
    .rst(rst),
    .s_axil_awaddr(s_axil_awaddr),
    .s_axil_awprot(3'd0),
    .s_axil_awvalid(s_axil_awvalid),
    .s_axil_awready(s_axil_awready),
    .s_axil_wdata(s_axil_wdata),
    .s_axil_wstrb(s_axil_wstrb),
    .s_axil_wvalid(s_axil_wvalid),
    .s_axil_wready(s_axil_wready),
    .s_axil_bresp(s_axil_bresp),
    .s_axil_bvalid(s_axil_bvalid),
    .s_axil_bready(s_axil_bready),
    .s_axil_araddr(s_axil_araddr),
    .s_axil_arprot(3'd0),
    .s_axil_arvalid(s_axil_arvalid),
    .s_axil_arready(s_axil_arready),
    .s_axil_rdata(s_axil_rdata),
    .s_axil_rresp(s_axil_rresp),
    .s_axil_rvalid(s_axil_rvalid),
    .s_axil_rready(s_axil_rready),
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
    .m_axi_bready(m_axi_bready),
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
    .m_axi_rready(m_axi_rready),
    .m_axis_tx_tdata(m_axis_tx_tdata),
    .m_axis_tx_tkeep(m_axis_tx_tkeep),
    .m_axis_tx_tvalid(m_axis_tx_tvalid),
    .m_axis_tx_tready(m_axis_tx_tready),
    .m_axis_tx_tlast(m_axis_tx_tlast),
    .s_axis_rx_tdata(s_axis_rx_tdata),
    .s_axis_rx_tkeep(s_axis_rx_tkeep),
    .s_axis_rx_tvalid(s_axis_rx_tvalid),
    .s_axis_rx_tready(s_axis_rx_tready),
    .s_axis_rx_tlast(s_axis_rx_tlast),
    .s_axis_rx_tuser(s_axis_rx_tuser),
    .irq(irq),
    .tb_evt_kind(evt_a_q[7:0]),
    .tb_evt_queue(evt_a_q[15:8]),
    .tb_evt_index(evt_a_q[31:16]),
    .tb_evt_seq(evt_seq_q)
);

endmodule

`resetall
