// @@P@@_cell: one cell of the bit-serial baseline array (hand-written leaf). Output stationary: the data bus
// {neg, last, first, work, x << i} enters from the left and one weight bit w_i from above; both are registered
// and forwarded (systolic in both directions). Every work step adds x << i to the accumulator when w_i is set,
// or subtracts it at the weight's MSB step (neg; two's complement). No multiplier: an AND, an XOR and one adder.
// Pipeline: input registers (xq, wq) -> accumulator. The `first` flag restarts the accumulator; at the `last`
// step out_v pulses for one cycle with the tile result on out_res (zero otherwise, so a column's cells can be
// merged with an OR).
module @@P@@_cell #(
    parameter XSW  = 15,  // width of the shifted data value x << i (BX + BW - 1, signed)
    parameter ACCW = 24   // accumulator width (signed)
) (
    input  wire              clk,
    input  wire              rst,
    input  wire [XSW+3:0]    in_x,     // {neg, last, first, work, xs}
    input  wire              in_w,     // weight bit
    output wire [XSW+3:0]    out_x,
    output wire              out_w,
    output reg               out_v,    // one-cycle pulse: out_res holds the tile result
    output wire [ACCW-1:0]   out_res
);
    reg [XSW+3:0] xq;
    reg           wq;
    assign out_x = xq;
    assign out_w = wq;

    always @(posedge clk) begin
        if (rst) begin
            xq <= {(XSW+4){1'b0}};
            wq <= 1'b0;
        end else begin
            xq <= in_x;
            wq <= in_w;
        end
    end

    wire work  = xq[XSW];
    wire first = xq[XSW+1];
    wire last  = xq[XSW+2];
    wire neg   = xq[XSW+3];
    wire g = work & wq;       // this step adds (or subtracts) x << i
    wire n = g & neg;
    // x << i sign-extended (or, when ACCW < XSW, truncated) to ACCW bits: accumulation is modulo 2^ACCW and
    // ACCW holds every legal tile result, so either is exact
    /* verilator lint_off UNUSED */
    wire [XSW+ACCW-1:0] xs_ext = {{ACCW{xq[XSW-1]}}, xq[XSW-1:0]};
    /* verilator lint_on UNUSED */
    wire [ACCW-1:0] a      = {ACCW{g}} & xs_ext[ACCW-1:0];
    reg  [ACCW-1:0] acc;
    wire [ACCW-1:0] base   = first ? {ACCW{1'b0}} : acc;
    wire [ACCW-1:0] acc_nx = base + (a ^ {ACCW{n}}) + {{(ACCW-1){1'b0}}, n};
    always @(posedge clk) begin
        if (rst) begin
            acc <= {ACCW{1'b0}};
            out_v <= 1'b0;
        end else begin
            if (work) acc <= acc_nx;
            out_v <= work & last;
        end
    end
    assign out_res = {ACCW{out_v}} & acc;
endmodule
