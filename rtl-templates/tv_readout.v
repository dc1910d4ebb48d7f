// @@P@@_readout (cell kind tv): serial read-out of a finished tile through the cells' shift chains
// (hand-written leaf). Every cell of a tv array finishes a tile in the same cycle and holds its result until
// the next tile ends. One pulse on in_go starts R*C reads, one per cycle, row-major: item (r, c) is the head
// of row r's chain (column 0) after c shifts, so this unit selects among R heads only, and shifts row r while
// it reads it. The output-stage parameters travel with the item: the sequencer rotates its per-column
// parameter registers by one column per read (out_rot), so column 0's fields are always the current item's;
// after R*C reads they are back in place. Tiles are at least R*C + goDelay + 1 cycles apart (the sequencer's
// LMIN), so no result is overwritten before it is read.
module @@P@@_readout #(
    parameter R    = 2,
    parameter C    = 2,
    parameter ACCW = 24,
    parameter BBW  = 24,
    parameter MBW  = 16,
    parameter SW   = 6,
    parameter RW   = 1,   // row index width
    parameter CW   = 1    // column index width
) (
    input  wire                  clk,
    input  wire                  rst,
    input  wire                  in_go,
    input  wire [R*ACCW-1:0]     in_head,   // column 0 result of every row's chain
    output wire [R-1:0]          out_shift, // shift row r's chain
    output wire                  out_rot,   // rotate the per-column parameters by one column
    input  wire [BBW-1:0]        in_bias,   // column 0 parameters (rotated by the sequencer)
    input  wire [MBW-1:0]        in_mul,
    input  wire [SW-1:0]         in_shift,
    input  wire                  in_relu,
    output reg                   out_v,
    output reg  [RW-1:0]         out_row,
    output reg  [CW-1:0]         out_col,
    output reg  [ACCW-1:0]       out_acc,
    output reg  [BBW-1:0]        out_bias,
    output reg  [MBW-1:0]        out_mul,
    output reg  [SW-1:0]         out_shift_amt,
    output reg                   out_relu
);
    reg          act;
    reg [RW-1:0] row;
    reg [CW-1:0] col;
    wire last_col = ({{(32-CW){1'b0}}, col} == C - 1);
    wire last_row = ({{(32-RW){1'b0}}, row} == R - 1);

    genvar gr;
    generate
        for (gr = 0; gr < R; gr = gr + 1) begin : g_shift
            assign out_shift[gr] = act && ({{(32-RW){1'b0}}, row} == gr);
        end
    endgenerate
    assign out_rot = act;

    always @(posedge clk) begin
        if (rst) begin
            act <= 1'b0;
            row <= {RW{1'b0}};
            col <= {CW{1'b0}};
            out_v <= 1'b0;
            out_row <= {RW{1'b0}};
            out_col <= {CW{1'b0}};
            out_acc <= {ACCW{1'b0}};
            out_bias <= {BBW{1'b0}};
            out_mul <= {MBW{1'b0}};
            out_shift_amt <= {SW{1'b0}};
            out_relu <= 1'b0;
        end else begin
            if (in_go) begin
                act <= 1'b1;
                row <= {RW{1'b0}};
                col <= {CW{1'b0}};
            end else if (act) begin
                if (last_col) begin
                    col <= {CW{1'b0}};
                    if (last_row) act <= 1'b0;
                    else row <= row + 1'b1;
                end else begin
                    col <= col + 1'b1;
                end
            end
            out_v <= act;
            out_row <= row;
            out_col <= col;
            out_acc <= in_head[{{(32-RW){1'b0}}, row}*ACCW +: ACCW];
            out_bias <= in_bias;
            out_mul <= in_mul;
            out_shift_amt <= in_shift;
            out_relu <= in_relu;
        end
    end
endmodule
