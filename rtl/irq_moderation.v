// Language: Verilog 2001

`resetall
`timescale 1ns / 1ps
`default_nettype none

/*
 * Interrupt moderation: one MSI-like vector per completion queue, with an arm bit and
 * coalescing by frames and by time (ethtool rx-frames / rx-usecs, in clock cycles here).
 *
 * Per vector: armed, pending (events not yet covered by an interrupt, saturating) and age
 * (cycles since the oldest pending event, saturating; 0 while nothing is pending). Each cycle,
 * with this cycle's event counted and this cycle's arm applied:
 *   pend_now = sat(pending + event_valid[v]),  armed_now = armed | arm(v)
 *   hit      = pend_now != 0 && ((frames == 0 && time == 0) ||
 *              (frames != 0 && pend_now >= frames) || (time != 0 && age >= time))
 *   fire     = armed_now && hit
 * A fire pulses irq[v] for one cycle (registered: the pulse follows the deciding cycle), disarms
 * the vector and clears pending and age; the interrupt covers every event up to and including
 * the deciding cycle. Otherwise pending and age carry on, armed or not, so a vector re-armed
 * after its poll fires at once if a criterion already holds: no event is left uncovered.
 * Arming an armed vector is a no-op; an arm in the cycle of a fire is consumed by that fire.
 * Configuration inputs are read every cycle; a lowered threshold takes effect at once.
 */
module irq_moderation #
(
    // number of vectors (1..64)
    parameter VECTORS = 8,
    // pending counter and frames threshold width (1..16); pending saturates at 2^COUNT_WIDTH-1
    parameter COUNT_WIDTH = 16,
    // age counter and time threshold width in cycles (1..32); age saturates at 2^TIME_WIDTH-1
    parameter TIME_WIDTH = 16,
    // derived: vector index width
    parameter VW = (VECTORS > 1) ? $clog2(VECTORS) : 1
)
(
    input  wire                             clk,
    input  wire                             rst,

    /*
     * Events: one completion written on vector v's queue this cycle
     */
    input  wire [VECTORS-1:0]               event_valid,

    /*
     * Configuration, vector v in bits [v*WIDTH +: WIDTH]; 0 disables a criterion
     */
    input  wire [VECTORS*COUNT_WIDTH-1:0]   cfg_frames,
    input  wire [VECTORS*TIME_WIDTH-1:0]    cfg_time,

    /*
     * Control: arm one vector (a strobe; arm_vector >= VECTORS is ignored)
     */
    input  wire                             arm_valid,
    input  wire [VW-1:0]                    arm_vector,

    /*
     * State read (combinational, current register values; rd_vector >= VECTORS reads 0)
     */
    input  wire [VW-1:0]                    rd_vector,
    output reg  [COUNT_WIDTH-1:0]           rd_pending,
    output reg  [TIME_WIDTH-1:0]            rd_age,
    output reg                              rd_armed,

    /*
     * Interrupts: one-cycle pulse per message
     */
    output wire [VECTORS-1:0]               irq
);

localparam [COUNT_WIDTH-1:0] COUNT_MAX = {COUNT_WIDTH{1'b1}};
localparam [TIME_WIDTH-1:0] TIME_MAX = {TIME_WIDTH{1'b1}};

initial begin
    if (VECTORS < 1 || VECTORS > 64) begin
        $error("Error: VECTORS must be 1..64, got %0d (instance %m)", VECTORS);
        $finish;
    end
    if (COUNT_WIDTH < 1 || COUNT_WIDTH > 16) begin
        $error("Error: COUNT_WIDTH must be 1..16, got %0d (instance %m)", COUNT_WIDTH);
        $finish;
    end
    if (TIME_WIDTH < 1 || TIME_WIDTH > 32) begin
        $error("Error: TIME_WIDTH must be 1..32, got %0d (instance %m)", TIME_WIDTH);
        $finish;
    end
    if (VW != ((VECTORS > 1) ? $clog2(VECTORS) : 1)) begin
        $error("Error: VW is derived, leave it at its default (instance %m)");
        $finish;
    end
end

reg [VECTORS-1:0]             armed_reg, armed_next;
reg [VECTORS*COUNT_WIDTH-1:0] pending_reg, pending_next;
reg [VECTORS*TIME_WIDTH-1:0]  age_reg, age_next;
reg [VECTORS-1:0]             irq_reg, irq_next;

assign irq = irq_reg;

reg [COUNT_WIDTH-1:0] pend_now;
reg [COUNT_WIDTH-1:0] frames;
reg [TIME_WIDTH-1:0]  age;
reg [TIME_WIDTH-1:0]  time_thr;
reg                   armed_now;
reg                   hit;

// one loop variable per always block, so that neither block wakes the other
integer i, j;

always @* begin
    armed_next = armed_reg;
    pending_next = pending_reg;
    age_next = age_reg;
    irq_next = {VECTORS{1'b0}};

    for (i = 0; i < VECTORS; i = i + 1) begin
        frames = cfg_frames[i*COUNT_WIDTH +: COUNT_WIDTH];
        time_thr = cfg_time[i*TIME_WIDTH +: TIME_WIDTH];
        age = age_reg[i*TIME_WIDTH +: TIME_WIDTH];
        pend_now = pending_reg[i*COUNT_WIDTH +: COUNT_WIDTH];
        // saturate rather than wrap: a wrapped count could drop below the frames threshold
        if (event_valid[i] && pend_now != COUNT_MAX) begin
            pend_now = pend_now + 1'b1;
        end
        armed_now = armed_reg[i] || (arm_valid && arm_vector == i[VW-1:0]);
        hit = pend_now != 0 && ((frames == 0 && time_thr == 0) ||
            (frames != 0 && pend_now >= frames) || (time_thr != 0 && age >= time_thr));

        if (armed_now && hit) begin
            irq_next[i] = 1'b1;
            armed_next[i] = 1'b0;
            pending_next[i*COUNT_WIDTH +: COUNT_WIDTH] = {COUNT_WIDTH{1'b0}};
            age_next[i*TIME_WIDTH +: TIME_WIDTH] = {TIME_WIDTH{1'b0}};
        end else begin
            armed_next[i] = armed_now;
            pending_next[i*COUNT_WIDTH +: COUNT_WIDTH] = pend_now;
            // age 0 in the cycle of the first pending event, then one more per cycle
            if (pend_now == 0) begin
                age_next[i*TIME_WIDTH +: TIME_WIDTH] = {TIME_WIDTH{1'b0}};
            end else if (age != TIME_MAX) begin
                age_next[i*TIME_WIDTH +: TIME_WIDTH] = age + 1'b1;
            end
        end
    end
end

always @* begin
    rd_pending = {COUNT_WIDTH{1'b0}};
    rd_age = {TIME_WIDTH{1'b0}};
    rd_armed = 1'b0;
    for (j = 0; j < VECTORS; j = j + 1) begin
        if (rd_vector == j[VW-1:0]) begin
            rd_pending = pending_reg[j*COUNT_WIDTH +: COUNT_WIDTH];
            rd_age = age_reg[j*TIME_WIDTH +: TIME_WIDTH];
            rd_armed = armed_reg[j];
        end
    end
end

always @(posedge clk) begin
    armed_reg <= armed_next;
    pending_reg <= pending_next;
    age_reg <= age_next;
    irq_reg <= irq_next;

    if (rst) begin
        armed_reg <= {VECTORS{1'b1}};
        pending_reg <= {VECTORS*COUNT_WIDTH{1'b0}};
        age_reg <= {VECTORS*TIME_WIDTH{1'b0}};
        irq_reg <= {VECTORS{1'b0}};
    end
end

endmodule

`resetall
