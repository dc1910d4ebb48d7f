// @@P@@_cell: one tMAC cell of the term-revealing systolic array (hand-written leaf, see README "Microarchitecture").
// Data slice (G terms + work/first/last flags) enters from the left, a weight term from above; both are
// registered and forwarded (systolic in both directions). A term pair is multiplied by adding exponents:
// sign(w)*sign(x)*2^(ew+ex) is a one-hot, added to (or subtracted from) the accumulator. No multiplier.
// Pipeline: input regs (xq, wq) -> stage A (select data term by weight index, add exponents) -> stage B (accumulate).
// At the last work cycle of a tile the accumulator is copied to out_res, which holds it until the next tile's
// last cycle (the array's read-out collects it in between).
module @@P@@_cell #(
    parameter G    = 8,   // data values per group slice (design maximum group size)
    parameter IW   = 3,   // weight index width
    parameter EW   = 3,   // weight exponent width
    parameter EX   = 3,   // data exponent width
    parameter PE   = 4,   // product exponent width
    parameter ACCW = 24   // accumulator width (signed)
) (
    input  wire                     clk,
    input  wire                     rst,
    input  wire [3+G*(EX+2)-1:0]    in_x,      // {last, first, work, term[G-1] .. term[0]}, term = {nz, sign, exp}
    input  wire [IW+EW+1:0]         in_w,      // {nz, idx, sign, exp}
    output wire [3+G*(EX+2)-1:0]    out_x,
    output wire [IW+EW+1:0]         out_w,
    output reg  [ACCW-1:0]          out_res    // accumulator of the last finished tile (held)
);
    localparam XT = EX + 2;
    localparam XB = 3 + G * XT;
    localparam WT = IW + EW + 2;

    reg [XB-1:0] xq;
    reg [WT-1:0] wq;
    assign out_x = xq;
    assign out_w = wq;

    always @(posedge clk) begin
        if (rst) begin
            xq <= {XB{1'b0}};
            wq <= {WT{1'b0}};
        end else begin
            xq <= in_x;
            wq <= in_w;
        end
    end

    // ---- stage A: pick the data term named by the weight term's index, form the product term ----
    wire          w_nz  = wq[WT-1];
    wire [IW-1:0] w_idx = wq[EW+1+IW-1:EW+1];
    wire          w_sgn = wq[EW];
    wire [EW-1:0] w_exp = wq[EW-1:0];
    wire          x_work  = xq[XB-3];
    wire          x_first = xq[XB-2];
    wire          x_last  = xq[XB-1];

    reg [XT-1:0] sel;
    integer i;
    always @(*) begin
        sel = {XT{1'b0}};
        for (i = 0; i < G; i = i + 1)
            if (w_idx == i[IW-1:0]) sel = xq[i*XT +: XT];
    end
    wire          s_nz  = sel[XT-1];
    wire          s_sgn = sel[XT-2];
    wire [EX-1:0] s_exp = sel[EX-1:0];

    reg          a_work, a_first, a_last, a_nz, a_sgn;
    reg [PE-1:0] a_exp;
    always @(posedge clk) begin
        if (rst) begin
            a_work <= 1'b0; a_first <= 1'b0; a_last <= 1'b0;
            a_nz <= 1'b0; a_sgn <= 1'b0; a_exp <= {PE{1'b0}};
        end else begin
            a_work  <= x_work;
            a_first <= x_first;
            a_last  <= x_last;
            a_nz    <= x_work & w_nz & s_nz;
            a_sgn   <= w_sgn ^ s_sgn;
            a_exp   <= {{(PE-EW){1'b0}}, w_exp} + {{(PE-EX){1'b0}}, s_exp};
        end
    end

    // ---- stage B: accumulate +2^e (a one-hot) or -2^e (in two's complement: all ones from bit e up) ----
    reg  [ACCW-1:0] acc;
    wire [ACCW-1:0] addend = !a_nz ? {ACCW{1'b0}}
                           : a_sgn ? ({ACCW{1'b1}} << a_exp)
                           :         ({{(ACCW-1){1'b0}}, 1'b1} << a_exp);
    wire [ACCW-1:0] base   = a_first ? {ACCW{1'b0}} : acc;
    wire [ACCW-1:0] acc_nx = base + addend;

    always @(posedge clk) begin
        if (rst) begin
            acc <= {ACCW{1'b0}};
            out_res <= {ACCW{1'b0}};
        end else begin
            if (a_work) acc <= acc_nx;
            if (a_work & a_last) out_res <= acc_nx;
        end
    end
endmodule
