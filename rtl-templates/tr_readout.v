// @@P@@_readout: serial read-out of a finished tile (hand-written leaf). Every cell holds its tile result until
// the next tile ends. One pulse on in_go (the tile's last work cycle, delayed until every cell it reads first
// holds its result) starts R*C reads, one per cycle, in row-major order (r, then c).
//   CHAIN = 0 (tp cells): in_res holds every cell's result, item (r,c) at index r*C+c. Cell (r,c) finishes
//     r+c cycles after cell (0,0) and item (r,c) is read r*C+c cycles after it, so every read sees a finished
//     result.
//   CHAIN = 1 (tv cells, which all finish in the same cycle): in_res holds the head (column 0) of every row's
//     result shift chain; row r is shifted (out_shift[r]) while it is read, so item (r,c) is its head after c
//     shifts.
// The output-stage parameters of the item are read from the parameter memory outside the array: out_p_addr =
// {in_pset, column} is presented in the cycle of the read, and the memory's word (a synchronous read) reaches
// the output stage in the next cycle, together with out_acc, with no parameter register here. in_pset is the
// tile's parameter set, held by the sequencer (or the baselines' queue) during the reads. Tiles are at least
// R*C + goDelay + 1 cycles apart (the sequencer's LMIN), so no result or set index changes before it is read.
// out_rd marks each read (the baselines' parameter queue counts them to pop its head).
module @@P@@_readout #(
    parameter R     = 2,
    parameter C     = 2,
    parameter CHAIN = 0,  // 1: read the rows' result chains (in_res = R heads); 0: in_res = all R*C results
    parameter NRES  = 4,  // results on in_res: CHAIN ? R : R*C
    parameter ACCW  = 24,
    parameter PSW   = 8,  // parameter-set index width
    parameter RW    = 1,  // row index width
    parameter CW    = 1   // column index width
) (
    input  wire                  clk,
    input  wire                  rst,
    input  wire                  in_go,
    input  wire [NRES*ACCW-1:0]  in_res,
    output wire [R-1:0]          out_shift,     // CHAIN: shift row r's chain
    output wire                  out_rd,        // one read in this cycle
    input  wire [PSW-1:0]        in_pset,       // parameter set of the tile being read
    output wire [PSW+CW-1:0]     out_p_addr,    // parameter memory address of the item read in this cycle
    input  wire                  in_relu,
    output reg                   out_v,
    output reg  [RW-1:0]         out_row,
    output reg  [CW-1:0]         out_col,
    output reg  [ACCW-1:0]       out_acc,
    output reg                   out_relu
);
    reg          act;
    reg [RW-1:0] row;
    reg [CW-1:0] col;
    wire last_col = ({{(32-CW){1'b0}}, col} == C - 1);
    wire last_row = ({{(32-RW){1'b0}}, row} == R - 1);
    wire [31:0] item = (CHAIN != 0) ? {{(32-RW){1'b0}}, row} : {{(32-RW){1'b0}}, row} * C + {{(32-CW){1'b0}}, col};

    genvar gr;
    generate
        for (gr = 0; gr < R; gr = gr + 1) begin : g_shift
            assign out_shift[gr] = (CHAIN != 0) && act && ({{(32-RW){1'b0}}, row} == gr);
        end
    endgenerate
    assign out_rd = act;
    assign out_p_addr = {in_pset, col};

    always @(posedge clk) begin
        if (rst) begin
            act <= 1'b0;
            row <= {RW{1'b0}};
            col <= {CW{1'b0}};
            out_v <= 1'b0;
            out_row <= {RW{1'b0}};
            out_col <= {CW{1'b0}};
            out_acc <= {ACCW{1'b0}};
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
            out_relu <= in_relu;
        end
    end
endmodule
