// Language: Verilog 2001

`resetall
`timescale 1ns / 1ps
`default_nettype none

/*
 * One AXI4 address channel (AR or AW) of the N-to-1 arbiters, shared by axi_rd_arb and
 * axi_wr_arb so that both grant by the same rule.
 *
 * Round robin among the slaves presenting VALID (the search starts after the last granted slave,
 * so a saturating slave cannot starve the others). The granted request goes to a one-deep output
 * register, refilled in the cycle it is taken, so back-to-back requests pass at one per cycle and
 * m_valid never depends on m_ready. The forwarded ID is {zeros, slave index (IDX_WIDTH bits),
 * s_id}. `enable` low holds new grants off (axi_wr_arb: its W order FIFO is full); `take` pulses
 * with `take_idx` when a request is granted.
 */
module axi_addr_arb #
(
    // Number of slave ports (1..8)
    parameter S_COUNT = 4,
    // ID width of each slave port (>= 1)
    parameter S_ID_WIDTH = 4,
    // ID width of the master port (>= S_ID_WIDTH + IDX_WIDTH)
    parameter M_ID_WIDTH = S_ID_WIDTH + 2,
    // derived: slave index field of the master ID (one bit even for a single slave)
    parameter IDX_WIDTH = (S_COUNT > 1) ? $clog2(S_COUNT) : 1
)
(
    input  wire                             clk,
    input  wire                             rst,

    /*
     * Slave address channels, flattened: port n uses bits [n*W +: W] of each signal
     */
    input  wire [S_COUNT*S_ID_WIDTH-1:0]    s_id,
    input  wire [S_COUNT*32-1:0]            s_addr,
    input  wire [S_COUNT*8-1:0]             s_len,
    input  wire [S_COUNT*3-1:0]             s_size,
    input  wire [S_COUNT*2-1:0]             s_burst,
    input  wire [S_COUNT-1:0]               s_lock,
    input  wire [S_COUNT*4-1:0]             s_cache,
    input  wire [S_COUNT*3-1:0]             s_prot,
    input  wire [S_COUNT-1:0]               s_valid,
    output wire [S_COUNT-1:0]               s_ready,

    /*
     * Master address channel
     */
    output reg  [M_ID_WIDTH-1:0]            m_id,
    output reg  [31:0]                      m_addr,
    output reg  [7:0]                       m_len,
    output reg  [2:0]                       m_size,
    output reg  [1:0]                       m_burst,
    output reg                              m_lock,
    output reg  [3:0]                       m_cache,
    output reg  [2:0]                       m_prot,
    output reg                              m_valid,
    input  wire                             m_ready,

    /*
     * Grant control
     */
    input  wire                             enable,
    output wire                             take,
    output reg  [IDX_WIDTH-1:0]             take_idx
);

localparam [S_COUNT-1:0] ONE = 1;

// check configuration
initial begin
    if (S_COUNT < 1 || S_COUNT > 8) begin
        $error("Error: S_COUNT must be 1..8, got %0d (instance %m)", S_COUNT);
        $finish;
    end
    if (S_ID_WIDTH < 1) begin
        $error("Error: S_ID_WIDTH must be at least 1, got %0d (instance %m)", S_ID_WIDTH);
        $finish;
    end
    if (M_ID_WIDTH < S_ID_WIDTH + IDX_WIDTH) begin
        $error("Error: M_ID_WIDTH must be at least S_ID_WIDTH + %0d = %0d, got %0d (instance %m)",
            IDX_WIDTH, S_ID_WIDTH + IDX_WIDTH, M_ID_WIDTH);
        $finish;
    end
end

reg [S_COUNT-1:0]    last_oh_reg;  // one-hot: the slave granted last

// requests above the last granted slave first, then from slave 0 (wrap around)
wire [S_COUNT-1:0]   above = s_valid & ~(last_oh_reg | (last_oh_reg - ONE));
wire [S_COUNT-1:0]   pick = (|above) ? above : s_valid;
// lowest set bit
wire [S_COUNT-1:0]   grant_oh = pick & (~pick + ONE);

integer i;
always @* begin
    take_idx = {IDX_WIDTH{1'b0}};
    for (i = 0; i < S_COUNT; i = i + 1) begin
        if (grant_oh[i]) begin
            take_idx = i[IDX_WIDTH-1:0];
        end
    end
end

// the register is free when empty or being emptied this cycle; it takes a new request only
// while enabled
wire                 free = !m_valid || m_ready;
wire                 load = free && enable;
assign take = load && (|s_valid);

assign s_ready = load ? grant_oh : {S_COUNT{1'b0}};

// {zeros, index, slave ID}
reg [M_ID_WIDTH-1:0] id;
always @* begin
    id = {M_ID_WIDTH{1'b0}};
    id[S_ID_WIDTH-1:0] = s_id[take_idx*S_ID_WIDTH +: S_ID_WIDTH];
    id[S_ID_WIDTH +: IDX_WIDTH] = take_idx;
end

always @(posedge clk) begin
    if (take) begin
        last_oh_reg <= grant_oh;
        m_id <= id;
        m_addr <= s_addr[take_idx*32 +: 32];
        m_len <= s_len[take_idx*8 +: 8];
        m_size <= s_size[take_idx*3 +: 3];
        m_burst <= s_burst[take_idx*2 +: 2];
        m_lock <= s_lock[take_idx];
        m_cache <= s_cache[take_idx*4 +: 4];
        m_prot <= s_prot[take_idx*3 +: 3];
    end
    if (free) begin
        // emptied even while disabled, else the request would go out twice
        m_valid <= take;
    end

    if (rst) begin
        last_oh_reg <= ONE;
        m_valid <= 1'b0;
    end
end

endmodule

`resetall
