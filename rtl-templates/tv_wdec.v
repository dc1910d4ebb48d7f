// @@P@@_wdec (cell kind tv): the array's weight-slot register (hand-written leaf). It holds the slot for the one
// cycle the row edges take to present their active group (gen/config.ts LATENCY.tvEdge) and decodes, on the
// way in, each term's value-pair select: pair q is selected when the term exists and idx >> 1 = q. The cells
// of a column then select their value with the decoded bits directly, and the decoding LUTs share logic
// cells with this register's flip-flops instead of standing in front of every cell's selection.
//   in:  N terms {nz, idx[IW], sign, exp[EW]}, term 0 in the low bits
//   out: N terms {pair select [NPR] (one-hot, or 0 for no term), idx[0], sign, exp[EW]}, NPR = ceil(G/2)
module @@P@@_wdec #(
    parameter N  = 8,   // terms in the slot (columns x terms per cycle)
    parameter G  = 8,   // values per group
    parameter IW = 3,   // weight index width
    parameter EW = 3    // weight exponent width
) (
    input  wire                            clk,
    input  wire                            rst,
    input  wire [N*(IW+EW+2)-1:0]          in_w,
    output reg  [N*((G+1)/2+EW+2)-1:0]     out_w
);
    localparam WT  = IW + EW + 2;
    localparam NPR = (G + 1) / 2;
    localparam WD  = NPR + EW + 2;
    integer n, q;
    always @(posedge clk) begin
        for (n = 0; n < N; n = n + 1) begin
            out_w[n*WD +: EW + 2] <= rst ? {(EW+2){1'b0}} : in_w[n*WT +: EW + 2];   // {idx[0], sign, exp}
            for (q = 0; q < NPR; q = q + 1)
                out_w[n*WD + EW + 2 + q] <= !rst && in_w[n*WT + WT - 1] && (in_w[n*WT + EW + 1 +: IW] >> 1) == q[IW-1:0];
        end
    end
endmodule
