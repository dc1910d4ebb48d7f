// @@P@@_colmerge: merge the per-row result pulses of one column (hand-written leaf, shared by the bit-parallel
// and bit-serial baselines). The rows of a column finish one cycle apart and tiles end at least R cycles apart,
// so at most one row pulses in any cycle; cells drive zero when idle, so an OR tree is an exact merge. The
// index of the pulsing row is encoded the same way. Registered output.
module @@P@@_colmerge #(
    parameter R    = 2,
    parameter ACCW = 24,
    parameter RW   = 1    // row index width
) (
    input  wire               clk,
    input  wire               rst,
    input  wire [R-1:0]       in_v,
    input  wire [R*ACCW-1:0]  in_res,    // row r at index r
    output reg                out_v,
    output reg  [RW-1:0]      out_row,
    output reg  [ACCW-1:0]    out_res
);
    reg [ACCW-1:0] m;
    reg [RW-1:0]   idx;
    integer r;
    always @(*) begin
        m = {ACCW{1'b0}};
        idx = {RW{1'b0}};
        for (r = 0; r < R; r = r + 1) begin
            m = m | in_res[r*ACCW +: ACCW];
            if (in_v[r]) idx = idx | r[RW-1:0];
        end
    end
    always @(posedge clk) begin
        if (rst) begin
            out_v <= 1'b0;
            out_row <= {RW{1'b0}};
            out_res <= {ACCW{1'b0}};
        end else begin
            out_v <= |in_v;
            out_row <= idx;
            out_res <= m;
        end
    end
endmodule
