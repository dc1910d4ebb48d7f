// @@P@@_edge: row edge of the bit-serial baseline (hand-written leaf). Holds the row's data value for the BW
// steps of a MAC and presents x << i at step i (sign-extended to BX+BW-1 bits): a new value is loaded at step 0
// and shifted left by one at every later work step, so the cells need no shifter. Registered output
// {neg, last, first, work, x << i}.
module @@P@@_edge #(
    parameter BX = 8,
    parameter BW = 8
) (
    input  wire              clk,
    input  wire              rst,
    input  wire [4:0]        in_cw,    // {load, neg, last, first, work}
    input  wire [BX-1:0]     in_x,     // the row's data value (valid with load)
    output wire [BX+BW+2:0]  out_x     // {neg, last, first, work, xs[BX+BW-1]}
);
    localparam XSW = BX + BW - 1;
    reg [3:0]     cq;
    reg [XSW-1:0] xs;
    always @(posedge clk) begin
        if (rst) begin
            cq <= 4'b0000;
            xs <= {XSW{1'b0}};
        end else begin
            cq <= in_cw[3:0];
            if (in_cw[0] & in_cw[4]) xs <= {{(BW-1){in_x[BX-1]}}, in_x};
            else if (in_cw[0]) xs <= {xs[XSW-2:0], 1'b0};
        end
    end
    assign out_x = {cq, xs};
endmodule
