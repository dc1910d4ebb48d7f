/**
 * Generator of the C++ Verilator harness for a design's top module. The harness is transaction-level: it
 * reads stimulus beats for each input stream from a JSON Lines file, drives every stream with valid/ready
 * (optionally withholding valid at random to inject stalls), and writes every result row with its cycle
 * number as JSON Lines. Values are hex strings of any width, so one harness shape fits every config.
 *
 * Stimulus lines (one JSON object each, keys in any order):
 *   {"ch":"t","in_t_mode":"1","in_t_k":"6",...}   one beat of a stream ("t", "w" or "x"): port -> hex value
 *   {"def":"name"} ... {"end":"name"}               lines in between define a named block (not enqueued)
 *   {"use":"name"}                                   enqueue the beats of a block (blocks may be reused)
 *   {"mem":"addr","in_p_bias":"hex",...}             a write to the harness's model of the parameter memory,
 *                                                    attached to the beat on the line before (a descriptor): it
 *                                                    takes effect in the cycle that beat is accepted
 * The parameter memory model answers the design's read address (spec.memory.addr) one cycle later on its data
 * ports, like a synchronous-read RAM (words never written read as 0).
 * Output lines:
 *   {"cyc":123,"out_y_data":"hex","out_y_acc":"hex"}   one per cycle with out_y_valid
 *   {"end":1,"cycles":N,"rows":R,"work":W,"err":0,"stalls":S}
 */

export interface HarnessPort {
  name: string;
  dir: 'input' | 'output';
  width: number;
}

export interface HarnessChannel {
  /** channel key in the stimulus ("t", "w", "x") */
  key: string;
  valid: string;
  ready: string;
  /** data ports of the beat */
  ports: string[];
}

export interface HarnessSpec {
  top: string;
  ports: HarnessPort[];
  channels: HarnessChannel[];
  /** output row: valid port and data ports to print */
  outValid: string;
  outPorts: string[];
  /** 32-bit status outputs printed at the end */
  status: { work: string; err: string };
  /** the parameter memory the harness models: read address output, data inputs (one word per address) */
  memory: { addr: string; data: string[] };
}

const words = (w: number): number => Math.ceil(w / 32);

function setter(p: HarnessPort): string {
  if (p.width > 64) return `for (int i = 0; i < ${words(p.width)}; i++) top->${p.name}[i] = v[i];`;
  if (p.width > 32) return `top->${p.name} = (uint64_t)v[0] | ((uint64_t)v[1] << 32);`;
  return `top->${p.name} = v[0];`;
}

function getter(p: HarnessPort): string {
  if (p.width > 64) return `for (int i = 0; i < ${words(p.width)}; i++) v[i] = top->${p.name}[i];`;
  if (p.width > 32) return `v[0] = (uint32_t)top->${p.name}; v[1] = (uint32_t)(top->${p.name} >> 32);`;
  return `v[0] = top->${p.name};`;
}

export function generateHarness(spec: HarnessSpec): string {
  const byName = new Map(spec.ports.map((p) => [p.name, p]));
  const port = (n: string): HarnessPort => {
    const p = byName.get(n);
    if (!p) throw new Error(`harness: no port ${n}`);
    return p;
  };
  const chanCases = spec.channels
    .map((ch, ci) => {
      const portCases = ch.ports
        .map((pn, pi) => `            if (key == "${pn}") { pi = ${pi}; width = ${port(pn).width}; }`)
        .join('\n');
      return `    if (ch == "${ch.key}") {\n        c = ${ci};\n        b.vals.assign(${ch.ports.length}, std::vector<uint32_t>());\n        for (auto& kv : kvs) {\n            const std::string& key = kv.first;\n            if (key == "ch") continue;\n            int pi = -1, width = 0;\n${portCases}\n            if (pi < 0) die(lineno, "unknown port '" + key + "' for channel ${ch.key}");\n            b.vals[pi] = parse_hex(kv.second, width, lineno, key);\n        }\n        for (size_t i = 0; i < b.vals.size(); i++) if (b.vals[i].empty()) die(lineno, "missing port in channel ${ch.key} beat");\n    }`;
    })
    .join(' else\n');
  const drive = spec.channels
    .map((ch, ci) => {
      const sets = ch.ports
        .map((pn, pi) => `            { const std::vector<uint32_t>& v = beats[q[${ci}].front()].vals[${pi}]; ${setter(port(pn))} }`)
        .join('\n');
      // valid/ready rules: an offered beat stays offered (valid and stable) until accepted; stalls are only
      // injected before a beat is offered
      return `        bool v${ci} = !q[${ci}].empty() && (held[${ci}] || !(stall_pct > 0 && (int)(rng() % 100) < stall_pct));\n        if (!q[${ci}].empty() && !v${ci}) stalls++;\n        top->${ch.valid} = v${ci};\n        if (v${ci}) {\n${sets}\n        }`;
    })
    .join('\n');
  const fire = spec.channels.map((ch, ci) => `        bool f${ci} = v${ci} && top->${ch.ready};`).join('\n');
  const pop = spec.channels.map((_, ci) => `        held[${ci}] = v${ci} && !f${ci};\n        if (f${ci}) q[${ci}].pop_front();`).join('\n');
  const mp = spec.memory.data.map(port);
  const memAddrW = port(spec.memory.addr).width;
  if (memAddrW > 20) throw new Error(`harness: parameter memory address ${spec.memory.addr} is ${memAddrW} bits (at most 20)`);
  const memCases = `                for (size_t i = 1; i < kvs.size(); i++) {\n${mp
    .map((p, i) => `                    ${i ? 'else ' : ''}if (kvs[i].first == "${p.name}") wv[${i}] = parse_hex(kvs[i].second, ${p.width}, lineno, kvs[i].first);`)
    .join('\n')}\n                    else die(lineno, "unknown memory port '" + kvs[i].first + "'");\n                }\n${mp
    .map((p, i) => `                if (wv[${i}].empty()) die(lineno, "memory write without ${p.name}");`)
    .join('\n')}`;
  const memZero = mp.map((p, i) => `w[${i}].assign(${words(p.width)}, 0);`).join(' ');
  // writes attached to a descriptor take effect when it is accepted (after this cycle's read address was taken)
  const memWrite = spec.channels
    .map((_, ci) => `        if (f${ci}) for (auto& wr : beats[q[${ci}].front()].writes) mem[wr.first] = wr.second;`)
    .join('\n');
  const memDrive = mp.map((p, i) => `            { const std::vector<uint32_t>& v = w[${i}]; ${setter(p)} }`).join('\n');
  const outs = spec.outPorts
    .map((pn) => {
      const p = port(pn);
      return `            { std::vector<uint32_t> v(${words(p.width)}); ${getter(p)} fprintf(out, ",\\"${pn}\\":\\"%s\\"", to_hex(v, ${p.width}).c_str()); }`;
    })
    .join('\n');
  return `// Verilator harness for ${spec.top} (generated by trgen sim/verilator/harness.ts; do not edit)
#include "V${spec.top}.h"
#include "verilated.h"
#if VM_TRACE
#include "verilated_vcd_c.h"
#endif
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <fstream>
#include <map>
#include <string>
#include <utility>
#include <vector>

typedef std::vector<std::vector<uint32_t>> Word;  // one value per data port
struct Beat { int ch; Word vals; std::vector<std::pair<uint32_t, Word>> writes; };

static void die(long lineno, const std::string& msg) {
    fprintf(stderr, "harness: stimulus line %ld: %s\\n", lineno, msg.c_str());
    exit(3);
}

// minimal parser for flat JSON objects whose values are strings or integers: {"k":"v","n":12}
static std::vector<std::pair<std::string, std::string>> parse_line(const std::string& s, long lineno) {
    std::vector<std::pair<std::string, std::string>> kv;
    size_t i = 0, n = s.size();
    auto ws = [&]() { while (i < n && (s[i] == ' ' || s[i] == '\\t' || s[i] == '\\r')) i++; };
    auto str = [&]() -> std::string {
        if (i >= n || s[i] != '"') die(lineno, "expected a string");
        size_t j = s.find('"', i + 1);
        if (j == std::string::npos) die(lineno, "unterminated string");
        std::string r = s.substr(i + 1, j - i - 1);
        i = j + 1;
        return r;
    };
    ws();
    if (i >= n || s[i] != '{') die(lineno, "expected '{'");
    i++;
    ws();
    if (i < n && s[i] == '}') return kv;
    while (true) {
        ws();
        std::string k = str();
        ws();
        if (i >= n || s[i] != ':') die(lineno, "expected ':'");
        i++;
        ws();
        std::string v;
        if (i < n && s[i] == '"') v = str();
        else { size_t j = i; while (j < n && s[j] != ',' && s[j] != '}' && s[j] != ' ') j++; v = s.substr(i, j - i); i = j; }
        kv.emplace_back(k, v);
        ws();
        if (i < n && s[i] == ',') { i++; continue; }
        if (i < n && s[i] == '}') break;
        die(lineno, "expected ',' or '}'");
    }
    return kv;
}

static std::vector<uint32_t> parse_hex(const std::string& h, int width, long lineno, const std::string& key) {
    int nw = (width + 31) / 32;
    std::vector<uint32_t> v(nw, 0);
    int bit = 0;
    for (int i = (int)h.size() - 1; i >= 0; i--, bit += 4) {
        char c = h[i];
        uint32_t d;
        if (c >= '0' && c <= '9') d = c - '0';
        else if (c >= 'a' && c <= 'f') d = c - 'a' + 10;
        else if (c >= 'A' && c <= 'F') d = c - 'A' + 10;
        else { die(lineno, "bad hex digit in " + key); d = 0; }
        if (d == 0) continue;
        if (bit >= width || (bit + 4 > width && (d >> (width - bit)) != 0)) die(lineno, "value of " + key + " does not fit " + std::to_string(width) + " bits");
        v[bit / 32] |= d << (bit % 32);
    }
    return v;
}

static std::string to_hex(const std::vector<uint32_t>& v, int width) {
    std::string s;
    int nd = (width + 3) / 4;
    for (int d = nd - 1; d >= 0; d--) {
        int bit = d * 4;
        uint32_t x = (v[bit / 32] >> (bit % 32)) & 0xf;
        s += "0123456789abcdef"[x];
    }
    return s;
}

static uint64_t rng_state = 1;
static uint64_t rng() { rng_state ^= rng_state << 13; rng_state ^= rng_state >> 7; rng_state ^= rng_state << 17; return rng_state; }

int main(int argc, char** argv) {
    Verilated::commandArgs(argc, argv);
    const char* in_path = nullptr; const char* out_path = nullptr; const char* vcd_path = nullptr;
    long expect_rows = -1, max_cycles = 100000000;
    int stall_pct = 0;
    for (int i = 1; i < argc; i++) {
        std::string a = argv[i];
        auto next = [&]() -> const char* { if (i + 1 >= argc) { fprintf(stderr, "harness: %s needs a value\\n", a.c_str()); exit(2); } return argv[++i]; };
        if (a == "--in") in_path = next();
        else if (a == "--out") out_path = next();
        else if (a == "--expect-rows") expect_rows = atol(next());
        else if (a == "--max-cycles") max_cycles = atol(next());
        else if (a == "--stall-pct") stall_pct = atoi(next());
        else if (a == "--vcd") vcd_path = next();
        else if (a == "--stall-seed") { rng_state = strtoull(next(), nullptr, 10) * 2654435761ULL + 1; }
        else if (a.rfind("+verilator", 0) == 0) continue;
        else { fprintf(stderr, "harness: unknown argument %s\\n", a.c_str()); return 2; }
    }
    if (!in_path || !out_path || expect_rows < 0) { fprintf(stderr, "usage: harness --in STIM.jsonl --out OUT.jsonl --expect-rows N [--max-cycles N] [--stall-pct P --stall-seed S]\\n"); return 2; }

    std::vector<Beat> beats;
    std::deque<size_t> q[${spec.channels.length}];
    std::map<std::string, std::vector<size_t>> blocks;
    std::string def;  // name of the block being defined
    {
        std::ifstream f(in_path);
        if (!f) { fprintf(stderr, "harness: cannot read %s\\n", in_path); return 2; }
        std::string line;
        long lineno = 0;
        while (std::getline(f, line)) {
            lineno++;
            if (line.empty()) continue;
            auto kvs = parse_line(line, lineno);
            if (kvs.empty()) continue;
            const std::string& k0 = kvs[0].first;
            if (k0 == "def") { if (!def.empty()) die(lineno, "nested block definition"); def = kvs[0].second; blocks[def].clear(); continue; }
            if (k0 == "end") { if (def != kvs[0].second) die(lineno, "end of a block that is not open"); def.clear(); continue; }
            if (k0 == "use") {
                auto it = blocks.find(kvs[0].second);
                if (it == blocks.end()) die(lineno, "use of undefined block " + kvs[0].second);
                std::vector<size_t> items = it->second;
                if (!def.empty()) { auto& cur = blocks[def]; cur.insert(cur.end(), items.begin(), items.end()); }
                else for (size_t idx : items) q[beats[idx].ch].push_back(idx);
                continue;
            }
            if (k0 == "mem") {
                if (beats.empty()) die(lineno, "memory write before any beat");
                uint32_t a = parse_hex(kvs[0].second, 32, lineno, "mem")[0];
                if (a >= (1u << ${memAddrW})) die(lineno, "memory address out of range");
                Word wv(${spec.memory.data.length});
${memCases}
                beats.back().writes.emplace_back(a, wv);
                continue;
            }
            std::string ch;
            for (auto& kv : kvs) if (kv.first == "ch") ch = kv.second;
            Beat b; int c = -1;
${chanCases}
            if (c < 0) die(lineno, "unknown channel '" + ch + "'");
            b.ch = c;
            beats.push_back(b);
            if (!def.empty()) blocks[def].push_back(beats.size() - 1);
            else q[c].push_back(beats.size() - 1);
        }
        if (!def.empty()) die(lineno, "block " + def + " not closed");
    }

    FILE* out = fopen(out_path, "w");
    if (!out) { fprintf(stderr, "harness: cannot write %s\\n", out_path); return 2; }
    V${spec.top}* top = new V${spec.top};
    uint64_t t = 0;
#if VM_TRACE
    VerilatedVcdC* tfp = nullptr;
    if (vcd_path) { Verilated::traceEverOn(true); tfp = new VerilatedVcdC; top->trace(tfp, 99); tfp->open(vcd_path); }
#define DUMP() do { if (tfp) tfp->dump(t); t++; } while (0)
#else
    if (vcd_path) { fprintf(stderr, "harness: built without tracing (set TRGEN_TRACE=1)\\n"); return 2; }
#define DUMP() do { t++; } while (0)
#endif
    top->clk = 0;
    top->rst = 1;
    for (int i = 0; i < 4; i++) { top->clk = 0; top->eval(); DUMP(); top->clk = 1; top->eval(); DUMP(); }
    top->clk = 0;
    top->rst = 0;
    top->eval();
    std::vector<Word> mem((size_t)1 << ${memAddrW}, Word(${spec.memory.data.length}));
    for (auto& w : mem) { ${memZero} }
    long rows = 0, stalls = 0, cyc = 0;
    bool held[${spec.channels.length}] = {};
    for (cyc = 0; cyc < max_cycles; cyc++) {
        // outputs of this cycle (registered values after the previous edge)
        if (top->${spec.outValid}) {
            fprintf(out, "{\\"cyc\\":%ld", cyc);
${outs}
            fprintf(out, "}\\n");
            rows++;
        }
        if (rows >= expect_rows) break;
${drive}
        top->eval();
        DUMP();
${fire}
        uint32_t maddr = (uint32_t)top->${spec.memory.addr};
${memWrite}
        top->clk = 1;
        top->eval();
        DUMP();
        top->clk = 0;
        { const Word& w = mem[maddr];
${memDrive}
        }
${pop}
    }
    bool timeout = rows < expect_rows;
    if (!timeout) cyc++;  // cycles elapsed, including the cycle of the last result row
    fprintf(out, "{\\"end\\":1,\\"cycles\\":%ld,\\"rows\\":%ld,\\"work\\":%lu,\\"err\\":%d,\\"stalls\\":%ld,\\"timeout\\":%d,\\"left\\":\\"${spec.channels.map(() => '%zu').join('/')}\\"}\\n",
            cyc, rows, (unsigned long)top->${spec.status.work}, (int)top->${spec.status.err}, stalls, timeout ? 1 : 0,
            ${spec.channels.map((_, i) => `q[${i}].size()`).join(', ')});
    fclose(out);
#if VM_TRACE
    if (tfp) tfp->close();
#endif
    top->final();
    delete top;
    if (timeout) { fprintf(stderr, "harness: timeout after %ld cycles with %ld of %ld result rows\\n", cyc, rows, expect_rows); return 4; }
    return 0;
}
`;
}
