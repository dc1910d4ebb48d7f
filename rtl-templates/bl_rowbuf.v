// @@P@@_rowbuf: result row buffer of the conventional baselines (hand-written leaf, shared by the bit-parallel and
// bit-serial arrays). The array delivers a tile's results one row of C accumulators per cycle (row r in the
// cycle after row r-1); the read-out (@@P@@_readout with CHAIN = 1) emits them one per cycle. Row r has its own
// C-long shift chain: it is loaded in parallel when the array delivers row r (in_v, in_row = r) and shifted by
// one column (column c takes column c+1's result) in every cycle the read-out reads row r (in_shift[r]), so
// item (r,c) is row r's head (out_head, column 0) after c shifts. A load wins over a shift (the next tile's row r
// may arrive in the cycle of the previous tile's last read of row r). out_go marks the cycle in which row 0
// is loaded: the read-out starts in the next cycle. Tiles end at least R*C cycles apart (the sequencers'
// spacing), so row r of the next tile arrives only after its previous contents have been read.
module @@P@@_rowbuf #(
    parameter R    = 2,
    parameter C    = 2,
    parameter ACCW = 24,
    parameter RW   = 1    // row index width
) (
    input  wire               clk,
    input  wire               rst,
    input  wire               in_v,
    input  wire [RW-1:0]      in_row,
    input  wire [C*ACCW-1:0]  in_res,     // column c at index c
    input  wire [R-1:0]       in_shift,
    output wire [R*ACCW-1:0]  out_head,   // column 0 of every row, row r at index r
    output wire               out_go
);
    assign out_go = in_v && (in_row == {RW{1'b0}});
    genvar gr;
    generate
        for (gr = 0; gr < R; gr = gr + 1) begin : g_row
            reg  [C*ACCW-1:0] q;    // column c at index c
            wire [C*ACCW-1:0] shifted;
            wire ld = in_v && ({{(32-RW){1'b0}}, in_row} == gr);
            assign out_head[gr*ACCW +: ACCW] = q[ACCW-1:0];
            if (C > 1) begin : g_sh
                // column c takes column c+1's result; the last column keeps its own (it is not read again)
                assign shifted = {q[(C-1)*ACCW +: ACCW], q[C*ACCW-1:ACCW]};
            end else begin : g_nosh
                assign shifted = q;
            end
            always @(posedge clk) begin
                if (rst) q <= {(C*ACCW){1'b0}};
                else if (ld) q <= in_res;
                else if (in_shift[gr]) q <= shifted;
            end
        end
    endgenerate
endmodule
