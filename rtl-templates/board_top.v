// @@P@@_board_core: everything of the iCE40 board wrapper except the array (hand-written board wrapper; the
// generated @@P@@_board wires it to @@P@@_top and has exactly the board ports clk, uart_rx, uart_tx, led).
//
//   power-on reset (16 cycles) + 2-FF reset synchronizer -> everything; the array also gets a one-cycle
//   reset at the start of every RUN (so each run starts from the post-reset state the schedule assumes:
//   out_stat_work and the sticky out_err then describe that run) and when the run watchdog fires.
//   UART 8N1 at CLKS_PER_BIT -> RX FIFO (2**RXAW bytes, one EBR) -> command processor -> UART TX.
//   On-chip RAMs (@@P@@_board_ram, inferred EBRs): weights W (C*WT bits), data X (R*L*BX), tile table T
//   (TBW-bit words, TE words per entry), results Y (C*BX, one word per result row), raw accumulators A
//   (C*ACCW, only with ACC_EN), output parameters P (BBW+MBW+SW bits: one column's {shift, mul, bias}; set s,
//   the one a table entry's pset field names, is the words at s * 2**CW + c). P is the array's parameter
//   memory: while a RUN is active its read port follows the array's out_p_addr and its read register drives
//   in_p_bias, in_p_mul and in_p_shift, so no parameter is ever copied into a register.
//
// Byte protocol (every multi-byte number little-endian; sim/driver/host.ts is the host side). Every command is
// answered by [0x80|cmd, status, payload]; an unknown command byte c by [0xFF, c].
//   0x01 PING                                   -> status 0, 36 info bytes (magic "TRGN", version, config
//                                                  hash, widths, memory sizes, readback, CLKS_PER_BIT; see info)
//   0x02 WRITE mem, addr16, count16, data        data = count words of ceil(width/8) bytes each
//                                                -> status (0 ok, 1 bad mem: no data bytes are consumed,
//                                                   2 range beyond the memory: data consumed, nothing written)
//   0x03 READ  mem, addr16, count16              -> status, then (status 0) count words (status 1 also for
//                                                   W, X, T and P when RB_ALL = 0: results-only readback)
//   0x04 RUN   first16, count16, ybase16         runs table entries first..first+count-1 and writes R result
//                                                rows per entry to Y (and A) from ybase on; answers when done:
//                                                -> status (0 ok, 2 range, 4 watchdog), flags, cycles32, work32
//   0x05 STATUS                                  -> status 0, flags, cycles32, work32 (of the last run)
//   flags: bit0 array busy, bit1 array err (an illegal descriptor field in the last run), bit2 UART framing
//   error seen, bit3 RX FIFO overflow seen, bit4 the last run was stopped by the watchdog.
//   Bytes of the following commands wait in the RX FIFO while a command executes (a RUN) or while its answer
//   is sent (the processor takes no input then), so a host may send a prepared byte stream at once as long as
//   it never runs more than 2**RXAW bytes ahead of the board (sim/driver/host.ts planRun() streams stay far below).
//
// RUN: a fetcher reads table entries (TE words each, one per cycle) into a staging register; a complete entry
// is pushed to a two-entry descriptor FIFO (its head drives the array's in_t_* ports) and its weight and data
// address ranges to two
// stream feeders (@@P@@_board_feed) that read W and X back to back, using the RAMs'
// read registers as the stream data registers. The descriptor stream is held invalid for PRIME cycles so that
// three entries are staged and both feeders are primed; from then on every stream is valid whenever the array
// can take it (needs TE + 2 <= R*C + 5, checked by gen/board.ts), so the array runs its exact schedule:
//   run cycles = PRIME + 1 + schedule.totalCycles, PRIME = 3*TE + 3
// (counted from the first cycle of the run through the cycle in which the last result row is written).
// Results: the array's row-major result items are collected into a row buffer; a full row is written the
// cycle after its last item.
module @@P@@_board_core #(
    // array widths (gen/config.ts derive())
    parameter R       = 2,
    parameter C       = 2,
    parameter L       = 4,
    parameter G       = 4,
    parameter BW      = 4,
    parameter BX      = 4,
    parameter WT      = 6,
    parameter KW      = 4,
    parameter DW      = 2,
    parameter GW      = 3,
    parameter NGW     = 7,
    parameter BBW     = 14,
    parameter MBW     = 8,
    parameter MULW    = 8,
    parameter SW      = 5,
    parameter ACCW    = 14,
    parameter CW      = 1,
    parameter VERSION = 2,     // protocol version (gen/board.ts PROTOCOL_VERSION)
    parameter HASH_LO = 0,     // first 4 bytes of the config's sha256, as two 16-bit halves
    parameter HASH_HI = 0,
    // board
    parameter CLKS_PER_BIT = 104,
    parameter LEDW    = 2,
    parameter LED_LOW = 0,     // 1: LEDs are active-low
    parameter HBW     = 23,    // heartbeat: LED toggles every 2**(HBW-1) cycles
    parameter WDW     = 24,    // run watchdog: abort after 2**WDW-1 cycles without stream progress
    parameter RXAW    = 9,
    parameter WAW     = 8,
    parameter XAW     = 8,
    parameter TAW     = 8,
    parameter YAW     = 8,
    parameter ACC_EN  = 0,
    parameter RB_ALL  = 1,     // READ serves every memory (0: only Y and A; gen/board.ts readback)
    parameter PSW     = 4,     // output-parameter-set index width (the array's)
    parameter APAW    = 5,     // the array's parameter address width: PSW + CW
    parameter PBW     = 4,     // set index bits the board stores (1..PSW): P holds 2**PBW sets
    parameter PAW     = 5,     // P address width: PBW + CW (the low PAW bits of the array's address)
    parameter TBW     = 16,
    parameter TE      = 8,
    // tile-table entry layout: bit offsets in the TE*TBW-bit entry (word 0 = low bits); gen/board.ts
    parameter O_MODE  = 0,
    parameter O_K     = 1,
    parameter O_D     = 5,
    parameter O_G     = 7,
    parameter O_NG    = 10,
    parameter O_RELU  = 17,
    parameter O_PS    = 18,
    parameter O_WF    = 26,
    parameter O_WL    = 34,
    parameter O_XF    = 42,
    parameter O_XL    = 50
) (
    input  wire                clk,
    input  wire                uart_rx,
    output wire                uart_tx,
    output wire [LEDW-1:0]     led,
    // the array
    output wire                a_rst,
    output wire                a_t_valid,
    input  wire                a_t_ready,
    output wire                a_t_mode,
    output wire [KW-1:0]       a_t_k,
    output wire [DW-1:0]       a_t_d,
    output wire [GW-1:0]       a_t_g,
    output wire [NGW-1:0]      a_t_ngroups,
    output wire                a_t_relu,
    output wire [PSW-1:0]      a_t_pset,
    /* verilator lint_off UNUSED */
    input  wire [APAW-1:0]     a_p_addr,   // {pset, column}: the bits above PAW are zero (pset < 2**PBW)
    /* verilator lint_on UNUSED */
    output wire [BBW-1:0]      a_p_bias,
    output wire [MBW-1:0]      a_p_mul,
    output wire [SW-1:0]       a_p_shift,
    output wire                a_w_valid,
    input  wire                a_w_ready,
    output wire [C*WT-1:0]     a_w_data,
    output wire                a_x_valid,
    input  wire                a_x_ready,
    output wire [R*L*BX-1:0]   a_x_data,
    input  wire                a_y_valid,
    input  wire [CW-1:0]       a_y_col,
    input  wire [BX-1:0]       a_y_data,
    input  wire [ACCW-1:0]     a_y_acc,
    input  wire                a_err,
    input  wire                a_busy,
    input  wire [31:0]         a_stat_work
);
    // memories
    localparam [2:0] M_W = 3'd0, M_X = 3'd1, M_T = 3'd2, M_Y = 3'd3, M_A = 3'd4, M_P = 3'd5;
    localparam WWW = C * WT, XWW = R * L * BX, YWW = C * BX, AWW = C * ACCW, PWW = BBW + MBW + SW;
    localparam WB_W = (WWW + 7) / 8, WB_X = (XWW + 7) / 8, WB_T = (TBW + 7) / 8, WB_Y = (YWW + 7) / 8, WB_A = (AWW + 7) / 8;
    localparam WB_P = (PWW + 7) / 8;
    localparam SHB0 = (WB_W > WB_X) ? WB_W : WB_X;
    localparam SHB1 = (SHB0 > WB_T) ? SHB0 : WB_T;
    localparam SHB2 = (SHB1 > WB_Y) ? SHB1 : WB_Y;
    localparam SHB3 = (SHB2 > WB_P) ? SHB2 : WB_P;
    localparam SHB  = (ACC_EN != 0 && WB_A > SHB3) ? WB_A : SHB3;
    localparam SHW  = SHB * 8;
    localparam AWR  = (ACC_EN != 0) ? AWW : 8;   // width of the accumulator RAM's read data (a dummy without it)
    // descriptor: {pset, relu, ngroups, g, d, k, mode}
    localparam DESCW = 1 + KW + DW + GW + NGW + 1 + PBW;
    localparam D_K = 1, D_D = D_K + KW, D_G = D_D + DW, D_NG = D_G + GW, D_RELU = D_NG + NGW, D_PS = D_RELU + 1;
    localparam ENTW = TE * TBW;
    localparam TEW = $clog2(TE + 1);
    localparam PRIME = 3 * TE + 3;
    localparam PRW = $clog2(PRIME + 1);
    // commands and response kinds
    localparam [7:0] C_PING = 8'h01, C_WRITE = 8'h02, C_READ = 8'h03, C_RUN = 8'h04, C_STATUS = 8'h05;
    localparam [1:0] K_HDR = 2'd0, K_UNK = 2'd1, K_PING = 2'd2, K_STAT = 2'd3;
    localparam [5:0] PING_LEN = 6'd38, STAT_LEN = 6'd11;
    localparam [3:0] S_IDLE = 4'd0, S_ARGS = 4'd1, S_DECODE = 4'd2, S_WDATA = 4'd3, S_WCOMMIT = 4'd4,
                     S_RISSUE = 4'd5, S_RLATCH = 4'd6, S_RSEND = 4'd7, S_SEND = 4'd8, S_RUN0 = 4'd9, S_RUN = 4'd10;
    // PING info as 32-bit constants (sliced to bytes below)
    localparam [31:0] P_R = R, P_C = C, P_L = L, P_G = G, P_BW = BW, P_BX = BX, P_WT = WT, P_ACCW = ACCW;
    localparam [31:0] P_BBW = BBW, P_MULW = MULW, P_SW = SW, P_KW = KW, P_DW = DW, P_GW = GW, P_NGW = NGW;
    localparam [31:0] P_TBW = TBW, P_TE = TE, P_WAW = WAW, P_XAW = XAW, P_TAW = TAW, P_YAW = YAW, P_PAW = PAW, P_RXAW = RXAW;
    localparam [31:0] P_VER = VERSION, P_ACC = ACC_EN, P_RB = RB_ALL, P_CPB = CLKS_PER_BIT, P_HLO = HASH_LO, P_HHI = HASH_HI;

    // ------------------------------------------------------------------ reset
    reg [3:0] por_cnt = 4'd0;
    reg       por_done = 1'b0;
    reg [1:0] rst_sync = 2'b11;
    wire      rst = rst_sync[1];
    always @(posedge clk) begin
        if (!por_done) por_cnt <= por_cnt + 4'd1;
        if (por_cnt == 4'hf) por_done <= 1'b1;
        rst_sync <= {rst_sync[0], !por_done};
    end

    // ------------------------------------------------------------------ UART
    wire       rx_v, rx_ferr;
    wire [7:0] rx_b;
    @@P@@_uart_rx #(.CLKS_PER_BIT(CLKS_PER_BIT)) u_rx (
        .clk(clk), .rst(rst), .in_rx(uart_rx), .out_valid(rx_v), .out_data(rx_b), .out_ferr(rx_ferr)
    );
    reg        tx_v;
    reg  [7:0] tx_b;
    wire       tx_ready;
    @@P@@_uart_tx #(.CLKS_PER_BIT(CLKS_PER_BIT)) u_tx (
        .clk(clk), .rst(rst), .in_valid(tx_v), .in_data(tx_b), .out_ready(tx_ready), .out_tx(uart_tx)
    );

    // RX FIFO: received bytes are written to a RAM; the command processor takes them through a one-byte
    // register (the RAM's read register, rb_v says it holds an untaken byte)
    reg  [RXAW:0] rx_wp, rx_rp;
    reg           rb_v, rb_pend;
    wire [7:0]    rb;
    wire          rx_full  = (rx_wp[RXAW] != rx_rp[RXAW]) && (rx_wp[RXAW-1:0] == rx_rp[RXAW-1:0]);
    wire          rx_re    = !rb_v && !rb_pend && (rx_wp != rx_rp);
    wire          rx_we    = rx_v && !rx_full;
    reg           ferr_seen, ovf_seen;
    wire          take;     // the command processor consumes rb this cycle
    @@P@@_board_ram #(.W(8), .AW(RXAW)) u_rxq (
        .clk(clk), .in_we(rx_we), .in_waddr(rx_wp[RXAW-1:0]), .in_wdata(rx_b),
        .in_re(rx_re), .in_raddr(rx_rp[RXAW-1:0]), .out_rdata(rb)
    );
    always @(posedge clk) begin
        if (rst) begin
            rx_wp <= {(RXAW+1){1'b0}}; rx_rp <= {(RXAW+1){1'b0}};
            rb_v <= 1'b0; rb_pend <= 1'b0; ferr_seen <= 1'b0; ovf_seen <= 1'b0;
        end else begin
            if (rx_we) rx_wp <= rx_wp + 1'b1;
            if (rx_v && rx_full) ovf_seen <= 1'b1;
            if (rx_ferr) ferr_seen <= 1'b1;
            if (rx_re) begin rx_rp <= rx_rp + 1'b1; rb_pend <= 1'b1; end
            if (rb_pend) begin rb_v <= 1'b1; rb_pend <= 1'b0; end
            if (take) rb_v <= 1'b0;
        end
    end

    // ------------------------------------------------------------------ command processor state
    reg  [3:0]     st, after;
    reg  [7:0]     cmd;
    reg  [47:0]    args;
    reg  [2:0]     argi;
    reg  [7:0]     status;
    reg  [1:0]     kind;
    reg  [5:0]     ridx, rlen;
    /* verilator lint_off UNUSED */
    reg  [15:0]    addr;      // word address of WRITE/READ (upper bits beyond a memory's width unused)
    /* verilator lint_on UNUSED */
    reg  [15:0]    cnt;
    reg  [SHW-1:0] sh;        // WRITE: bytes shift in from the top (a plain shift register, no read path)
    reg  [7:0]     bcnt;
    reg  [31:0]    cyc, work_last;   // cyc stops at the end of a RUN: it is the run's cycle count until the next
    reg            to_seen;

    wire [2:0]  a_mem   = args[2:0];
    wire        mem_ok  = (args[7:3] == 5'd0) && (a_mem <= M_Y || (a_mem == M_A && ACC_EN != 0) || a_mem == M_P);
    wire        rd_ok   = (RB_ALL != 0) || a_mem == M_Y || a_mem == M_A;   // with mem_ok: READ serves this memory
    wire [15:0] a_addr  = args[23:8];
    wire [15:0] a_cnt   = args[39:24];
    wire [15:0] r_first = args[15:0];
    wire [15:0] r_cnt   = args[31:16];
    wire [15:0] r_ybase = args[47:32];
    reg  [4:0]  aw_sel;
    reg  [7:0]  wb_sel;
    always @(*) begin
        case (a_mem)
            M_W:     begin aw_sel = WAW[4:0]; wb_sel = WB_W[7:0]; end
            M_X:     begin aw_sel = XAW[4:0]; wb_sel = WB_X[7:0]; end
            M_T:     begin aw_sel = TAW[4:0]; wb_sel = WB_T[7:0]; end
            M_Y:     begin aw_sel = YAW[4:0]; wb_sel = WB_Y[7:0]; end
            M_P:     begin aw_sel = PAW[4:0]; wb_sel = WB_P[7:0]; end
            default: begin aw_sel = YAW[4:0]; wb_sel = WB_A[7:0]; end
        endcase
    end
    localparam [7:0]  TE8 = TE[7:0];
    localparam [5:0]  R6  = R[5:0];
    localparam [24:0] TDEPTH = 25'd1 << TAW;
    localparam [22:0] YDEPTH = 23'd1 << YAW;
    wire [16:0] a_end  = {1'b0, a_addr} + {1'b0, a_cnt};
    wire [16:0] r_endt = {1'b0, r_first} + {1'b0, r_cnt};
    wire [24:0] r_endw = r_endt * TE8;                      // table words up to the last entry
    wire [22:0] r_endy = {7'd0, r_ybase} + {1'b0, r_cnt} * R6;
    wire range_ok = a_end <= (17'd1 << aw_sel);
    wire run_ok   = (r_endw <= TDEPTH) && (r_endy <= YDEPTH);
    wire [2:0] nargs = (cmd == C_RUN) ? 3'd6 : 3'd5;

    assign take = rb_v && (st == S_IDLE || st == S_ARGS || st == S_WDATA);
    wire run_sel = (st == S_RUN);
    wire cmd_we  = (st == S_WCOMMIT) && (status == 8'd0);
    wire cmd_re  = (st == S_RISSUE);

    // ------------------------------------------------------------------ memories
    wire           wf_re, xf_re;
    wire [WAW-1:0] wf_addr;
    wire [XAW-1:0] xf_addr;
    wire [WWW-1:0] w_rdata;
    wire [XWW-1:0] x_rdata;
    wire [TBW-1:0] t_rdata;
    wire [YWW-1:0] y_rdata;
    wire [AWR-1:0] acc_rdata;
    wire [PWW-1:0] p_rdata;
    reg            t_fre;                 // fetcher read of the table this cycle
    reg  [TAW-1:0] f_addr;
    reg            row_done;
    reg  [YAW-1:0] yaddr;
    reg  [AWW-1:0] abuf;

    @@P@@_board_ram #(.W(WWW), .AW(WAW)) u_wram (
        .clk(clk), .in_we(cmd_we && a_mem == M_W), .in_waddr(addr[WAW-1:0]), .in_wdata(sh[SHW-WB_W*8 +: WWW]),
        .in_re(run_sel ? wf_re : (cmd_re && a_mem == M_W)), .in_raddr(run_sel ? wf_addr : addr[WAW-1:0]), .out_rdata(w_rdata)
    );
    @@P@@_board_ram #(.W(XWW), .AW(XAW)) u_xram (
        .clk(clk), .in_we(cmd_we && a_mem == M_X), .in_waddr(addr[XAW-1:0]), .in_wdata(sh[SHW-WB_X*8 +: XWW]),
        .in_re(run_sel ? xf_re : (cmd_re && a_mem == M_X)), .in_raddr(run_sel ? xf_addr : addr[XAW-1:0]), .out_rdata(x_rdata)
    );
    @@P@@_board_ram #(.W(TBW), .AW(TAW)) u_tram (
        .clk(clk), .in_we(cmd_we && a_mem == M_T), .in_waddr(addr[TAW-1:0]), .in_wdata(sh[SHW-WB_T*8 +: TBW]),
        .in_re(run_sel ? t_fre : (cmd_re && a_mem == M_T)), .in_raddr(run_sel ? f_addr : addr[TAW-1:0]), .out_rdata(t_rdata)
    );
    @@P@@_board_ram #(.W(YWW), .AW(YAW)) u_yram (
        .clk(clk), .in_we(run_sel ? row_done : (cmd_we && a_mem == M_Y)), .in_waddr(run_sel ? yaddr : addr[YAW-1:0]),
        .in_wdata(sh[SHW-WB_Y*8 +: YWW]),   // a RUN collects each result row in sh (below), a WRITE shifts its bytes in
        .in_re(cmd_re && a_mem == M_Y), .in_raddr(addr[YAW-1:0]), .out_rdata(y_rdata)
    );
    @@P@@_board_ram #(.W(PWW), .AW(PAW)) u_pram (
        .clk(clk), .in_we(cmd_we && a_mem == M_P), .in_waddr(addr[PAW-1:0]), .in_wdata(sh[SHW-WB_P*8 +: PWW]),
        .in_re(run_sel || (cmd_re && a_mem == M_P)), .in_raddr(run_sel ? a_p_addr[PAW-1:0] : addr[PAW-1:0]), .out_rdata(p_rdata)
    );
    generate
        if (ACC_EN != 0) begin : g_acc
            @@P@@_board_ram #(.W(AWW), .AW(YAW)) u_aram (
                .clk(clk), .in_we(run_sel ? row_done : (cmd_we && a_mem == M_A)), .in_waddr(run_sel ? yaddr : addr[YAW-1:0]),
                .in_wdata(run_sel ? abuf : sh[SHW-WB_A*8 +: AWW]),
                .in_re(cmd_re && a_mem == M_A), .in_raddr(addr[YAW-1:0]), .out_rdata(acc_rdata)
            );
        end else begin : g_noacc
            assign acc_rdata = {AWR{1'b0}};
            /* verilator lint_off UNUSED */
            wire unused_acc = |{a_y_acc, abuf};
            /* verilator lint_on UNUSED */
        end
    endgenerate

    // ------------------------------------------------------------------ run engine
    // fetcher: TE reads per entry, words shift into stg from the top (word 0 ends up in the low bits)
    reg  [15:0]     f_left;      // entries still to fetch
    reg             f_act;       // reading words 1..TE-1 of an entry
    reg  [TEW-1:0]  f_rd;        // words of the current entry requested
    reg             f_dv;        // a table word arrives this cycle
    reg  [TEW-1:0]  f_got;       // words of the current entry received
    reg             stg_full;
    reg  [DESCW-1:0] dh, dn;     // descriptor FIFO: head (drives the array) and next
    reg             dh_v, dn_v;
    reg             go;
    reg  [PRW-1:0]  prime;
    reg  [23:0]     rows_left;
    reg  [WDW-1:0]  wd;
    reg             arr_rst;
    wire            wq_room, xq_room;
    wire            wf_valid, xf_valid;
    wire            push    = run_sel && stg_full && !dn_v && wq_room && xq_room;
    wire            f_start = run_sel && !f_act && (f_left != 16'd0) && !f_dv && (!stg_full || push);
    wire            t_pop   = a_t_valid && a_t_ready;
    wire            run_done = run_sel && row_done && (rows_left == 24'd1);
    wire            progress = t_pop || (a_w_valid && a_w_ready) || (a_x_valid && a_x_ready) || a_y_valid || row_done || !go;
    wire            abort   = run_sel && !run_done && (wd == {WDW{1'b1}});
    wire            clr     = rst || (st == S_RUN0) || abort;
    // with one word per entry the table RAM's read register is the staging register (it holds its word until
    // the next read, which the fetcher issues only once the entry is pushed), so stg itself is unused
    wire [ENTW-1:0]  stg_v;
    generate
        if (TE == 1) begin : g_te1
            assign stg_v = t_rdata;
        end else begin : g_stg
            reg [ENTW-1:0] stg;
            always @(posedge clk) begin
                if (rst) stg <= {ENTW{1'b0}};
                else if (run_sel && !abort && f_dv) stg <= {t_rdata, stg[ENTW-1:TBW]};
            end
            assign stg_v = stg;
        end
    endgenerate
    wire [DESCW-1:0] stg_desc = {stg_v[O_PS +: PBW], stg_v[O_RELU],
                                 stg_v[O_NG +: NGW], stg_v[O_G +: GW], stg_v[O_D +: DW], stg_v[O_K +: KW], stg_v[O_MODE]};
    always @(*) t_fre = f_start || f_act;

    // two queued ranges suffice: an entry's ranges are pushed when it enters the descriptor FIFO, and by the
    // time a third could wait, the feeders have started the oldest (tile e-1's streams end before pop_e)
    @@P@@_board_feed #(.AW(WAW), .QAW(1)) u_wfeed (
        .clk(clk), .in_clr(clr), .in_push(push), .in_first(stg_v[O_WF +: WAW]), .in_last(stg_v[O_WL +: WAW]), .out_room(wq_room),
        .out_re(wf_re), .out_addr(wf_addr), .out_valid(wf_valid), .in_ready(a_w_ready && run_sel)
    );
    @@P@@_board_feed #(.AW(XAW), .QAW(1)) u_xfeed (
        .clk(clk), .in_clr(clr), .in_push(push), .in_first(stg_v[O_XF +: XAW]), .in_last(stg_v[O_XL +: XAW]), .out_room(xq_room),
        .out_re(xf_re), .out_addr(xf_addr), .out_valid(xf_valid), .in_ready(a_x_ready && run_sel)
    );

    assign a_rst       = rst || arr_rst;
    assign a_t_valid   = dh_v && go && run_sel;
    assign a_t_mode    = dh[0];
    assign a_t_k       = dh[D_K +: KW];
    assign a_t_d       = dh[D_D +: DW];
    assign a_t_g       = dh[D_G +: GW];
    assign a_t_ngroups = dh[D_NG +: NGW];
    assign a_t_relu    = dh[D_RELU];
    /* verilator lint_off UNUSED */
    wire [PSW+PBW-1:0] pset_ext = {{PSW{1'b0}}, dh[D_PS +: PBW]};   // the sets above 2**PBW are never named
    /* verilator lint_on UNUSED */
    assign a_t_pset    = pset_ext[PSW-1:0];
    assign a_p_bias    = p_rdata[0 +: BBW];
    assign a_p_mul     = p_rdata[BBW +: MBW];
    assign a_p_shift   = p_rdata[BBW+MBW +: SW];
    assign a_w_valid   = wf_valid && run_sel;
    assign a_w_data    = w_rdata;
    assign a_x_valid   = xf_valid && run_sel;
    assign a_x_data    = x_rdata;

    always @(posedge clk) begin
        if (rst) begin
            f_left <= 16'd0; f_act <= 1'b0; f_rd <= {TEW{1'b0}}; f_dv <= 1'b0; f_got <= {TEW{1'b0}};
            f_addr <= {TAW{1'b0}}; stg_full <= 1'b0;
            dh <= {DESCW{1'b0}}; dn <= {DESCW{1'b0}}; dh_v <= 1'b0; dn_v <= 1'b0;
            go <= 1'b0; prime <= {PRW{1'b0}}; rows_left <= 24'd0; wd <= {WDW{1'b0}}; arr_rst <= 1'b0;
            row_done <= 1'b0; yaddr <= {YAW{1'b0}}; abuf <= {AWW{1'b0}};
        end else begin
            arr_rst <= (st == S_RUN0) || abort;
            if (st == S_RUN0) begin
                f_left <= r_cnt; f_act <= 1'b0; f_rd <= {TEW{1'b0}}; f_dv <= 1'b0; f_got <= {TEW{1'b0}};
                f_addr <= r_first[TAW-1:0] * TE[TAW-1:0];
                stg_full <= 1'b0; dh_v <= 1'b0; dn_v <= 1'b0;
                go <= 1'b0; prime <= {PRW{1'b0}}; wd <= {WDW{1'b0}};
                rows_left <= {8'd0, r_cnt} * R[23:0];
                yaddr <= r_ybase[YAW-1:0];
                row_done <= 1'b0;
            end else if (!run_sel || abort) begin
                f_act <= 1'b0; f_dv <= 1'b0; dh_v <= 1'b0; dn_v <= 1'b0; go <= 1'b0; row_done <= 1'b0;
            end else begin
                // fetch
                if (t_fre) f_addr <= f_addr + 1'b1;
                if (f_start) begin
                    f_left <= f_left - 16'd1;
                    f_rd <= {{(TEW-1){1'b0}}, 1'b1};
                    f_act <= (TE > 1);
                end else if (f_act) begin
                    f_rd <= f_rd + 1'b1;
                    if ({{(32-TEW){1'b0}}, f_rd} == TE - 1) f_act <= 1'b0;
                end
                f_dv <= t_fre;
                if (f_dv) begin
                    if ({{(32-TEW){1'b0}}, f_got} == TE - 1) begin
                        f_got <= {TEW{1'b0}};
                        stg_full <= 1'b1;
                    end else begin
                        f_got <= f_got + 1'b1;
                    end
                end else if (push) begin
                    stg_full <= 1'b0;
                end
                // descriptor FIFO (a push needs dn free, so push+pop means the head is replaced)
                case ({push, t_pop})
                    2'b10: if (!dh_v) begin dh <= stg_desc; dh_v <= 1'b1; end else begin dn <= stg_desc; dn_v <= 1'b1; end
                    2'b01: begin dh <= dn; dh_v <= dn_v; dn_v <= 1'b0; end
                    2'b11: dh <= stg_desc;
                    default: ;
                endcase
                // start the array after PRIME cycles
                if (!go) prime <= prime + 1'b1;
                if ({{(32-PRW){1'b0}}, prime} == PRIME - 1) go <= 1'b1;
                // results: collect a row, write it the next cycle
                if (a_y_valid) abuf[a_y_col*ACCW +: ACCW] <= a_y_acc;
                row_done <= a_y_valid && ({{(32-CW){1'b0}}, a_y_col} == C - 1);
                if (row_done) begin
                    yaddr <= yaddr + 1'b1;
                    rows_left <= rows_left - 24'd1;
                end
                wd <= progress ? {WDW{1'b0}} : wd + 1'b1;
            end
        end
    end

    // ------------------------------------------------------------------ response bytes
    // PING's info bytes: a ROM in a block RAM (its read register is read at least two cycles after ridx moves,
    // as a byte is sent at most every other cycle), not a 36-way constant multiplexer in logic cells
    (* rom_style = "block" *)
    reg [7:0] info_rom [0:63];
    reg [7:0] info, rsp_byte;
    wire [5:0] ii = ridx - 6'd2;
    integer ri;
    initial begin
        for (ri = 0; ri < 64; ri = ri + 1) info_rom[ri] = 8'h00;
        info_rom[0] = 8'h54;  // 'T'
        info_rom[1] = 8'h52;  // 'R'
        info_rom[2] = 8'h47;  // 'G'
        info_rom[3] = 8'h4e;  // 'N'
        info_rom[4] = P_VER[7:0];
        info_rom[5] = P_HLO[7:0];
        info_rom[6] = P_HLO[15:8];
        info_rom[7] = P_HHI[7:0];
        info_rom[8] = P_HHI[15:8];
        info_rom[9] = P_R[7:0];
        info_rom[10] = P_C[7:0];
        info_rom[11] = P_L[7:0];
        info_rom[12] = P_G[7:0];
        info_rom[13] = P_BW[7:0];
        info_rom[14] = P_BX[7:0];
        info_rom[15] = P_WT[7:0];
        info_rom[16] = P_ACCW[7:0];
        info_rom[17] = P_BBW[7:0];
        info_rom[18] = P_MULW[7:0];
        info_rom[19] = P_SW[7:0];
        info_rom[20] = P_KW[7:0];
        info_rom[21] = P_DW[7:0];
        info_rom[22] = P_GW[7:0];
        info_rom[23] = P_NGW[7:0];
        info_rom[24] = P_TBW[7:0];
        info_rom[25] = P_TE[7:0];
        info_rom[26] = P_WAW[7:0];
        info_rom[27] = P_XAW[7:0];
        info_rom[28] = P_TAW[7:0];
        info_rom[29] = P_YAW[7:0];
        info_rom[30] = P_PAW[7:0];
        info_rom[31] = P_RXAW[7:0];
        info_rom[32] = P_ACC[7:0];
        info_rom[33] = P_RB[7:0];
        info_rom[34] = P_CPB[7:0];
        info_rom[35] = P_CPB[15:8];
    end
    always @(posedge clk) info <= info_rom[ii];
    wire [7:0] flags = {3'd0, to_seen, ovf_seen, ferr_seen, a_err, a_busy};
    always @(*) begin
        if (ridx == 6'd0) rsp_byte = (kind == K_UNK) ? 8'hff : {1'b1, cmd[6:0]};
        else if (ridx == 6'd1) rsp_byte = (kind == K_UNK) ? cmd : status;
        else if (kind == K_PING) rsp_byte = info;
        else if (ridx == 6'd2) rsp_byte = flags;
        else if (ridx < 6'd7) rsp_byte = cyc[(ridx - 6'd3)*8 +: 8];
        else rsp_byte = work_last[(ridx - 6'd7)*8 +: 8];
    end

    // READ: byte bcnt of the word in the selected memory's read register (it holds the word while it is sent),
    // chosen per memory and then among the memories, so no word-wide register or multiplexer is needed
    /* verilator lint_off UNUSED */
    wire [YWW+BX-1:0]  ysh   = {a_y_data, sh[SHW-WB_Y*8 +: YWW]};   // a result row's next column shifted in
    /* verilator lint_on UNUSED */
    wire [SHW+WWW-1:0] w_pad = {{SHW{1'b0}}, w_rdata};
    wire [SHW+XWW-1:0] x_pad = {{SHW{1'b0}}, x_rdata};
    wire [SHW+TBW-1:0] t_pad = {{SHW{1'b0}}, t_rdata};
    wire [SHW+YWW-1:0] y_pad = {{SHW{1'b0}}, y_rdata};
    wire [SHW+PWW-1:0] p_pad = {{SHW{1'b0}}, p_rdata};
    wire [SHW+AWR-1:0] a_pad = {{SHW{1'b0}}, acc_rdata};
    reg  [7:0]     rd_byte;
    always @(*) begin
        case (a_mem)
            M_W:     rd_byte = (RB_ALL != 0) ? w_pad[bcnt*8 +: 8] : 8'd0;
            M_X:     rd_byte = (RB_ALL != 0) ? x_pad[bcnt*8 +: 8] : 8'd0;
            M_T:     rd_byte = (RB_ALL != 0) ? t_pad[bcnt*8 +: 8] : 8'd0;
            M_Y:     rd_byte = y_pad[bcnt*8 +: 8];
            M_P:     rd_byte = (RB_ALL != 0) ? p_pad[bcnt*8 +: 8] : 8'd0;
            default: rd_byte = a_pad[bcnt*8 +: 8];
        endcase
    end

    // ------------------------------------------------------------------ command processor
    always @(posedge clk) begin
        if (rst) begin
            st <= S_IDLE; after <= S_IDLE; cmd <= 8'd0; args <= 48'd0; argi <= 3'd0; status <= 8'd0;
            kind <= K_HDR; ridx <= 6'd0; rlen <= 6'd0; addr <= 16'd0; cnt <= 16'd0;
            bcnt <= 8'd0; cyc <= 32'd0; work_last <= 32'd0; to_seen <= 1'b0;
            tx_v <= 1'b0; tx_b <= 8'd0;
        end else begin
            if (tx_v && tx_ready) tx_v <= 1'b0;
            case (st)
                S_IDLE: if (rb_v) begin
                    cmd <= rb;
                    argi <= 3'd0;
                    status <= 8'd0;
                    ridx <= 6'd0;
                    after <= S_IDLE;
                    case (rb)
                        C_PING:   begin kind <= K_PING; rlen <= PING_LEN; st <= S_SEND; end
                        C_STATUS: begin kind <= K_STAT; rlen <= STAT_LEN; st <= S_SEND; end
                        C_WRITE, C_READ, C_RUN: st <= S_ARGS;
                        default:  begin kind <= K_UNK; rlen <= 6'd2; st <= S_SEND; end
                    endcase
                end
                S_ARGS: if (rb_v) begin
                    args[argi*8 +: 8] <= rb;
                    argi <= argi + 3'd1;
                    if (argi == nargs - 3'd1) st <= S_DECODE;
                end
                S_DECODE: begin
                    addr <= a_addr;
                    cnt <= a_cnt;
                    bcnt <= 8'd0;
                    kind <= K_HDR;
                    rlen <= 6'd2;
                    if (cmd == C_RUN) begin
                        kind <= K_STAT;
                        rlen <= STAT_LEN;
                        if (!run_ok) begin
                            status <= 8'd2;
                            st <= S_SEND;
                        end else if (r_cnt == 16'd0) begin
                            cyc <= 32'd0;
                            work_last <= 32'd0;
                            to_seen <= 1'b0;
                            st <= S_SEND;
                        end else begin
                            st <= S_RUN0;
                        end
                    end else if (!mem_ok || (cmd == C_READ && !rd_ok)) begin
                        status <= 8'd1;
                        st <= S_SEND;
                    end else begin
                        status <= range_ok ? 8'd0 : 8'd2;
                        if (cmd == C_WRITE) st <= (a_cnt == 16'd0) ? S_SEND : S_WDATA;
                        else begin
                            st <= S_SEND;
                            after <= (range_ok && a_cnt != 16'd0) ? S_RISSUE : S_IDLE;
                        end
                    end
                end
                S_WDATA: if (rb_v) begin
                    sh <= {rb, sh[SHW-1:8]};
                    if (bcnt == wb_sel - 8'd1) begin bcnt <= 8'd0; st <= S_WCOMMIT; end
                    else bcnt <= bcnt + 8'd1;
                end
                S_WCOMMIT: begin
                    addr <= addr + 16'd1;
                    cnt <= cnt - 16'd1;
                    st <= (cnt == 16'd1) ? S_SEND : S_WDATA;
                end
                S_RISSUE: st <= S_RLATCH;
                S_RLATCH: begin
                    bcnt <= 8'd0;
                    st <= S_RSEND;
                end
                S_RSEND: if (!tx_v) begin
                    tx_v <= 1'b1;
                    tx_b <= rd_byte;
                    if (bcnt == wb_sel - 8'd1) begin
                        bcnt <= 8'd0;
                        addr <= addr + 16'd1;
                        cnt <= cnt - 16'd1;
                        st <= (cnt == 16'd1) ? S_IDLE : S_RISSUE;
                    end else bcnt <= bcnt + 8'd1;
                end
                S_SEND: if (!tx_v) begin
                    tx_v <= 1'b1;
                    tx_b <= rsp_byte;
                    if (ridx == rlen - 6'd1) begin ridx <= 6'd0; st <= after; end
                    else ridx <= ridx + 6'd1;
                end
                S_RUN0: begin
                    cyc <= 32'd0;
                    st <= S_RUN;
                end
                S_RUN: begin
                    cyc <= cyc + 32'd1;
                    // results: column c of a row shifts into the Y word's place in sh (column 0 ends lowest); the
                    // row is written the cycle after its last column (row_done)
                    if (a_y_valid) sh[SHW-WB_Y*8 +: YWW] <= ysh[YWW+BX-1:BX];
                    if (run_done || abort) begin
                        work_last <= a_stat_work;
                        to_seen <= abort;
                        status <= abort ? 8'd4 : 8'd0;
                        st <= S_SEND;
                    end
                end
                default: st <= S_IDLE;
            endcase
        end
    end

    // ------------------------------------------------------------------ LEDs
    reg [HBW-1:0] hb;
    always @(posedge clk) hb <= rst ? {HBW{1'b0}} : hb + 1'b1;
    wire err_any = a_err || ferr_seen || ovf_seen || to_seen;
    wire [LEDW-1:0] led_on;
    generate
        if (LEDW == 1) begin : g_led1
            assign led_on = err_any || run_sel || hb[HBW-1];
        end else if (LEDW == 2) begin : g_led2
            // iCEBreaker: led[0] red = error, led[1] green = heartbeat, steady while a run executes
            assign led_on = {run_sel || hb[HBW-1], err_any};
        end else begin : g_ledn
            // led[0] heartbeat, led[1] run in progress, led[2] error, led[3] RX line active, led[4] TX line active
            wire [4:0] s = {!uart_tx, !uart_rx, err_any, run_sel, hb[HBW-1]};
            genvar i;
            for (i = 0; i < LEDW; i = i + 1) begin : g_bit
                if (i < 5) begin : g_s
                    assign led_on[i] = s[i];
                end else begin : g_z
                    assign led_on[i] = 1'b0;
                end
            end
        end
    endgenerate
    assign led = (LED_LOW != 0) ? ~led_on : led_on;
endmodule
