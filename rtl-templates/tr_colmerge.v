// @@P@@_colmerge: merge the per-row result pulses of one column (hand-written leaf). At most one row of a
// column finishes in any cycle (tiles are at least LMIN >= R cycles apart and rows are skewed by one cycle),
// and cells drive zero when idle, so an OR tree is an exact merge. Registered output.
module @@P@@_colmerge #(
    parameter R    = 2,
    parameter ACCW = 24
) (
    input  wire                 clk,
    input  wire                 rst,
    input  wire [R-1:0]         in_v,
    input  wire [R*ACCW-1:0]    in_res,
    output reg                  out_v,
    output reg  [ACCW-1:0]      out_res
);
    reg [ACCW-1:0] m;
    integer r;
    always @(*) begin
        m = {ACCW{1'b0}};
        for (r = 0; r < R; r = r + 1) m = m | in_res[r*ACCW +: ACCW];
    end
    always @(posedge clk) begin
        if (rst) begin
            out_v <= 1'b0;
            out_res <= {ACCW{1'b0}};
        end else begin
            out_v <= |in_v;
            out_res <= m;
        end
    end
endmodule
