// @@P@@_cell (cell kind tv): one term-by-value MAC cell (hand-written leaf, see README "Cell kinds").
// Each cycle it takes P weight terms {pair select, idx[0], sign, exp} of its column (decoded by @@P@@_wdec) and
// multiplies each by the whole data value it names, already capped to d HESE terms by the row edge:
// sign(w) * x_capped * 2^exp is a negation and a shift, with no multiplier. The product of a weight term and
// a capped value is the sum of the term pairs the tMAC cell would form one by one, so the results are the
// same bit for bit in k_eff/P cycles per group instead of k_eff*d_eff. The row's data bus (the edge's active
// group) and control bits are shared by every cell of the row and not registered here.
// Pipeline: stage A (the value idx[0] names, zero for no term; at P = 2 registered per value pair) -> stage B
// ([P = 2: OR of the pairs,] shift by exp, and invert for a negative weight term; the two's complement's +1
// travels on as a carry-in) -> [P = 2: stage S (sum of the
// two products, term 0's +1 as its carry-in)] -> accumulator (the remaining +1 as its carry-in) -> out_res.
// The accumulator holds a tile's sum in the cycle after the tile's last add; in that cycle out_res takes it
// and the accumulator restarts with that cycle's addend instead of adding it (a multiplexer in each adder
// LUT, whose carry chain is then ignored), so acc packs with its adder and out_res's multiplexer reads a
// flip-flop. out_res holds the result until the next tile's (gen/config.ts LATENCY.tvCell counts the stages).
// The read-out collects the results through a shift chain: while in_shift is set, out_res takes the result
// of the cell to the right (in_next), so a row presents its C results at column 0 one per cycle, with no
// R*C-way multiplexer (the chain's multiplexer packs with out_res).
module @@P@@_cell #(
    parameter G    = 8,   // data values per group (design maximum group size)
    parameter EW   = 3,   // weight exponent width
    parameter XV   = 9,   // capped data value width (signed)
    parameter PW   = 16,  // product width (signed): XV + largest weight exponent
    parameter P    = 1,   // weight terms per cycle (1 or 2)
    parameter ACCW = 24   // accumulator width (signed)
) (
    input  wire                     clk,
    input  wire                     rst,
    input  wire [G*XV-1:0]          in_x,     // the row's active group, value 0 in the low bits
    input  wire [2:0]               in_ctl,   // {last, first, work}
    input  wire [P*((G+1)/2+EW+2)-1:0] in_w,  // P weight terms {pair select (one-hot), idx[0], sign, exp}, term 0 low
    input  wire                     in_shift, // read-out: take the next cell's result
    input  wire [ACCW-1:0]          in_next,  // out_res of the cell to the right (0 at the last column)
    output reg  [ACCW-1:0]          out_res   // accumulator of the last finished tile (held, or shifted)
);
    localparam NPR = (G + 1) / 2;
    localparam WT  = NPR + EW + 2;

    wire x_work = in_ctl[0];
    wire x_last = in_ctl[2];
    /* verilator lint_off UNUSED */
    wire x_first = in_ctl[1];   // the restart after the previous tile's last add already restarted acc
    /* verilator lint_on UNUSED */

    // ---- stage A: select (zero when there is no term or no work) ----
    // AND-OR selection: values in pairs (idx[0] picks within a pair); the pair select comes decoded (one-hot,
    // all zero for no term) from the array's weight-slot register, @@P@@_wdec. No work zeroes stage A's
    // registers through their synchronous reset (with rst), so the row's work bit, which reaches every cell of
    // every row, feeds no LUT of the selection. Where the register sits depends on P (measured, README "Cell
    // kinds"):
    //   P = 2: one register per value pair, holding the AND term (the value of the pair that idx[0] names, or
    //          0; a single LUT on the row's data bus, whose flip-flop packs with it); stage B ORs the pairs in
    //          front of its shifter. The route from the row's bus then ends in one LUT inside the cell (once
    //          the HX8K bench core's critical route at P = 2).
    //   P = 1: the whole AND-OR in front of one register. Registering the pairs measured neutral at P = 1
    //          (-1.7 to +4.2 MHz, -3 to +15 LC on five P = 1 designs), and the HX8K 4x8 board top (P = 1, 96 %
    //          of the device) places with this structure but did not with the other.
    reg [XV-1:0] a_sel [0:P-1];        // the selected value (P = 2: the OR of the registered pair terms)
    reg          a_neg [0:P-1];
    reg [EW-1:0] a_exp [0:P-1];
    reg          a_last;
    integer p;
    always @(posedge clk) begin
        for (p = 0; p < P; p = p + 1) begin
            a_neg[p] <= in_w[p*WT + EW];
            a_exp[p] <= in_w[p*WT +: EW];
        end
        a_last <= !rst && x_work && x_last;
    end
    generate
        if (P == 2) begin : g_pair_reg
            reg [XV-1:0] a_pr [0:P*NPR-1];    // per term q and pair n: the value of pair n that idx[0] names, or 0
            integer q, n;
            always @(posedge clk) begin
                for (q = 0; q < P; q = q + 1) begin
                    for (n = 0; n < NPR; n = n + 1) begin
                        if (rst || !x_work)
                            a_pr[q*NPR + n] <= {XV{1'b0}};
                        else if (2 * n + 1 < G)
                            a_pr[q*NPR + n] <= (in_w[q*WT + EW + 1] ? in_x[(2*n+1)*XV +: XV] : in_x[2*n*XV +: XV])
                                               & {XV{in_w[q*WT + EW + 2 + n]}};
                        else
                            a_pr[q*NPR + n] <= in_x[2*n*XV +: XV] & {XV{in_w[q*WT + EW + 2 + n] && !in_w[q*WT + EW + 1]}};
                    end
                end
            end
            always @(*) begin
                for (q = 0; q < P; q = q + 1) begin
                    a_sel[q] = {XV{1'b0}};
                    for (n = 0; n < NPR; n = n + 1) a_sel[q] = a_sel[q] | a_pr[q*NPR + n];
                end
            end
        end else begin : g_value_reg
            reg [XV-1:0] sel;
            integer n;
            always @(*) begin
                sel = {XV{1'b0}};
                for (n = 0; n < NPR; n = n + 1) begin
                    if (2 * n + 1 < G)
                        sel = sel | ((in_w[EW + 1] ? in_x[(2*n+1)*XV +: XV] : in_x[2*n*XV +: XV]) & {XV{in_w[EW + 2 + n]}});
                    else
                        sel = sel | (in_x[2*n*XV +: XV] & {XV{in_w[EW + 2 + n] && !in_w[EW + 1]}});
                end
            end
            always @(posedge clk) a_sel[0] <= (rst || !x_work) ? {XV{1'b0}} : sel;
        end
    endgenerate

    // ---- stage B: shift, then invert for a negative weight term: -(v << e) = ~(v << e) + 1, the +1 added
    // later as a carry-in (b_neg), so no stage needs a negation's carry chain. No term: v = 0, and ~0 + 1 = 0
    // whatever the sign bit says.
    reg [PW-1:0] b_prod [0:P-1];
    reg          b_neg  [0:P-1];
    reg          b_last;
    always @(posedge clk) begin
        for (p = 0; p < P; p = p + 1) begin
            b_prod[p] <= ({{(PW-XV){a_sel[p][XV-1]}}, a_sel[p]} << a_exp[p]) ^ {PW{a_neg[p]}};
            b_neg[p]  <= a_neg[p];
        end
        b_last <= !rst && a_last;
    end

    // ---- [stage S: pair sum, term 0's +1 as its carry-in], sign-extended (or wrapped) to the accumulator
    // width; cin is the +1 still owed for the addend ----
    wire [ACCW-1:0] addend;
    wire            add_last;
    wire            cin;
    generate
        if (P == 2) begin : g_p2
            reg [PW:0] s_sum;
            reg        s_neg;
            reg        s_last;
            always @(posedge clk) begin
                s_sum  <= {b_prod[0][PW-1], b_prod[0]} + {b_prod[1][PW-1], b_prod[1]} + {{PW{1'b0}}, b_neg[0]};
                s_neg  <= b_neg[1];
                s_last <= !rst && b_last;
            end
            if (ACCW > PW + 1) begin : g_ext
                assign addend = {{(ACCW-PW-1){s_sum[PW]}}, s_sum};
            end else begin : g_wrap
                assign addend = s_sum[ACCW-1:0];
            end
            assign add_last = s_last;
            assign cin      = s_neg;
        end else begin : g_p1
            if (ACCW > PW) begin : g_ext
                assign addend = {{(ACCW-PW){b_prod[0][PW-1]}}, b_prod[0]};
            end else begin : g_wrap
                assign addend = b_prod[0][ACCW-1:0];
            end
            assign add_last = b_last;
            assign cin      = b_neg[0];
        end
    endgenerate

    // ---- accumulate (two's complement; the tile's result fits ACCW, so wrapped partial sums are harmless) ----
    // nld low: the cycle after a tile's last add; acc + pend is the tile's sum, out_res takes it, and acc
    // restarts with this cycle's addend. The restart cannot add the addend's carry-in (the multiplexer sits in
    // the adder's LUTs), so pend keeps it and out_res adds it on its own carry chain at the tile's end.
    reg  [ACCW-1:0] acc;
    reg             nld;
    reg             pend;
    always @(posedge clk) begin
        nld <= rst || !add_last;
        if (rst)       acc <= {ACCW{1'b0}};
        else if (!nld) acc <= addend;
        else           acc <= acc + addend + {{(ACCW-1){1'b0}}, cin};
        if (rst)       pend <= 1'b0;
        else if (!nld) pend <= cin;
        // P = 2: no reset (out_res is only read after a tile has written it), so rst is not part of the
        // enable; P = 1 keeps the reset (the board tops' measured structure, as for stage A).
        if (rst && P == 1)         out_res <= {ACCW{1'b0}};
        else if (!nld || in_shift) out_res <= nld ? in_next : acc + {ACCW{nld}} + {{(ACCW-1){1'b0}}, pend};
    end
endmodule
