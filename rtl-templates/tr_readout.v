// @@P@@_readout: serial read-out of a finished tile (hand-written leaf). Every cell holds its tile result
// until the next tile ends; one pulse on in_go (the tile's last work cycle, delayed until cell (0,0) holds its
// result) starts R*C reads, one per cycle, in row-major order (r, then c). Cell (r,c) finishes r+c cycles after
// cell (0,0) and item (r,c) is read r*C+c cycles after it, so every read sees a finished result; tiles are at
// least R*C+5 cycles apart (the sequencer's LMIN), so no result is overwritten before it is read. The output
// stage parameters of the item's column are selected here and travel with it.
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
    input  wire [R*C*ACCW-1:0]   in_res,    // cell (r,c) at index r*C+c
    input  wire [C*BBW-1:0]      in_bias,
    input  wire [C*MBW-1:0]      in_mul,
    input  wire [C*SW-1:0]       in_shift,
    input  wire                  in_relu,
    output reg                   out_v,
    output reg  [RW-1:0]         out_row,
    output reg  [CW-1:0]         out_col,
    output reg  [ACCW-1:0]       out_acc,
    output reg  [BBW-1:0]        out_bias,
    output reg  [MBW-1:0]        out_mul,
    output reg  [SW-1:0]         out_shift,
    output reg                   out_relu
);
    reg          act;
    reg [RW-1:0] row;
    reg [CW-1:0] col;
    wire last_col = ({{(32-CW){1'b0}}, col} == C - 1);
    wire last_row = ({{(32-RW){1'b0}}, row} == R - 1);
    wire [31:0] item = {{(32-RW){1'b0}}, row} * C + {{(32-CW){1'b0}}, col};

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
            out_shift <= {SW{1'b0}};
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
            out_acc <= in_res[item*ACCW +: ACCW];
            out_bias <= in_bias[{{(32-CW){1'b0}}, col}*BBW +: BBW];
            out_mul <= in_mul[{{(32-CW){1'b0}}, col}*MBW +: MBW];
            out_shift <= in_shift[{{(32-CW){1'b0}}, col}*SW +: SW];
            out_relu <= in_relu;
        end
    end
endmodule
