// @@P@@_edge: run-time data encoder at the left edge of one array row (hand-written leaf).
// Raw signed data values arrive L per load beat; each is HESE-encoded (the one-pass LSB->MSB rule of
// docs/DESIGN.md §2, equal to the non-adjacent form) into a list of at most TX terms, most significant first, and
// written into the "next" group buffer. A swap copies next -> active at a group boundary (double buffering,
// so loading the next group overlaps computing the current one). Every work cycle the edge emits slice t:
// term t of every value of the active group; the schedule only ever asks for t < d, which is the
// per-value cap d (truncation to the d most significant terms).
// Each position also has a valid bit: lanes past the group size g and positions no beat of this group wrote
// are invalid, and their terms are masked out of the slice (so stale values from an earlier, larger group
// never leak in).
// Control word in_cw (from the sequencer, delayed one cycle per row): see @@P@@_seq.
module @@P@@_edge #(
    parameter G   = 8,   // values per group (design maximum)
    parameter L   = 8,   // load lanes (values per beat)
    parameter BX  = 8,   // data bit width
    parameter EX  = 3,   // data exponent width
    parameter TX  = 4,   // max HESE terms of a data value
    parameter TCW = 2,   // width of the term index t
    parameter BCW = 1,   // width of the beat index
    parameter CWW = 16   // control word width = 6 + TCW + BCW + L + (width of dcap)
) (
    input  wire                    clk,
    input  wire                    rst,
    input  wire [CWW-1:0]          in_cw,    // {dcap, lane_valid[L], beat, t, ld_clear, ld_we, last, first, swap, work}
    input  wire [L*BX-1:0]         in_lanes, // raw values of this row for the load beat (two's complement)
    output wire [CWW-1:0]          out_cw,   // in_cw delayed by one cycle, to the next row
    output reg  [3+G*(EX+2)-1:0]   out_x     // {last, first, work, term[G-1] .. term[0]}
);
    localparam XT = EX + 2;            // {nz, sign, exp}
    localparam ET = TX * XT;           // one encoded value: TX terms, term 0 most significant
    localparam NB = (G + L - 1) / L;   // beats per full group

    wire          cw_work  = in_cw[0];
    wire          cw_swap  = in_cw[1];
    wire          cw_first = in_cw[2];
    wire          cw_last  = in_cw[3];
    wire          cw_we    = in_cw[4];
    wire          cw_clear = in_cw[5];
    wire [TCW-1:0] cw_t    = in_cw[6 +: TCW];
    wire [BCW-1:0] cw_beat = in_cw[6 + TCW +: BCW];
    wire [L-1:0]   cw_lv   = in_cw[6 + TCW + BCW +: L];

    reg [CWW-1:0] cwq;
    assign out_cw = cwq;

    // HESE encoding of one value into its term list (most significant first).
    function [ET-1:0] hese_terms;
        input [BX-1:0] v;
        reg [BX-1:0] mag;
        reg [BX:0]   b;
        reg [BX-1:0] nz, ng;
        reg          m;
        integer      i, t, cnt;
        begin
            mag = v[BX-1] ? (~v + 1'b1) : v;
            b = {1'b0, mag};
            nz = {BX{1'b0}};
            ng = {BX{1'b0}};
            m = 1'b0;
            for (i = 0; i < BX; i = i + 1) begin
                case ({m, b[i+1], b[i]})
                    3'b001: begin nz[i] = 1'b1; ng[i] = 1'b0; m = 1'b0; end
                    3'b011: begin nz[i] = 1'b1; ng[i] = 1'b1; m = 1'b1; end
                    3'b100: begin nz[i] = 1'b1; ng[i] = 1'b0; m = 1'b0; end
                    3'b110: begin nz[i] = 1'b1; ng[i] = 1'b1; m = 1'b1; end
                    default: ;
                endcase
            end
            // a negative value negates every digit
            if (v[BX-1]) ng = ng ^ nz;
            hese_terms = {ET{1'b0}};
            cnt = 0;
            for (i = BX - 1; i >= 0; i = i - 1) begin
                if (nz[i]) begin
                    for (t = 0; t < TX; t = t + 1)
                        if (cnt == t) hese_terms[t*XT +: XT] = {1'b1, ng[i], i[EX-1:0]};
                    cnt = cnt + 1;
                end
            end
        end
    endfunction

    // one encoder per load lane
    reg [ET-1:0] enc [0:L-1];
    integer l;
    always @(*) begin
        for (l = 0; l < L; l = l + 1) enc[l] = hese_terms(in_lanes[l*BX +: BX]);
    end

    reg [ET-1:0] nxt [0:G-1];
    reg [ET-1:0] act [0:G-1];
    reg [G-1:0]  nv, av;       // position valid: next / active group
    reg          q_work, q_first, q_last;
    reg [TCW-1:0] q_t;

    integer j, k;
    always @(posedge clk) begin
        if (rst) begin
            cwq <= {CWW{1'b0}};
            q_work <= 1'b0; q_first <= 1'b0; q_last <= 1'b0;
            q_t <= {TCW{1'b0}};
            for (j = 0; j < G; j = j + 1) begin
                nxt[j] <= {ET{1'b0}};
                act[j] <= {ET{1'b0}};
            end
            nv <= {G{1'b0}};
            av <= {G{1'b0}};
        end else begin
            cwq <= in_cw;
            q_work <= cw_work; q_first <= cw_first; q_last <= cw_last;
            q_t <= cw_t;
            // load beat: lanes go to positions beat*L .. beat*L+L-1; the first beat invalidates the rest
            for (j = 0; j < G; j = j + 1) begin
                if (cw_we) begin
                    if (NB == 1 || j / L == {{(32-BCW){1'b0}}, cw_beat}) begin
                        nxt[j] <= enc[j % L];
                        nv[j] <= cw_lv[j % L];
                    end else if (cw_clear) begin
                        nv[j] <= 1'b0;
                    end
                end
            end
            if (cw_swap) begin
                for (j = 0; j < G; j = j + 1) act[j] <= nxt[j];
                av <= nv;
            end
        end
    end

    // slice t of the active group, registered
    reg [G*XT-1:0] slice;
    always @(*) begin
        slice = {G*XT{1'b0}};
        for (k = 0; k < G; k = k + 1) begin
            slice[k*XT +: XT] = act[k][q_t*XT +: XT];
            slice[k*XT + XT - 1] = slice[k*XT + XT - 1] & av[k];
        end
    end

    always @(posedge clk) begin
        if (rst) out_x <= {(3+G*XT){1'b0}};
        else     out_x <= {q_last, q_first, q_work, slice};
    end
endmodule
