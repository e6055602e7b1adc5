// Products y[t, r] = sum_k W[r, k] * x[t, k] with W read in its GGUF block layout. A "unit" is what one
// work-item decodes at a time: one element for F32/F16 (any column count), 32 for the quantized types
// (a block of Q8_0/Q4_0, a sub-block of a Q4_K/Q6_K super-block of 256). Decoding follows the scalar
// references in Tessera.Tensors.Quants, in the same float operation order.

#define UNIT_f32 1
#define UNIT_f16 1
#define UNIT_q8_0 32
#define UNIT_q4_0 32
#define UNIT_q4_k 32
#define UNIT_q6_k 32

void unit_f32(global const uchar* row, int u, float* w)
{
    w[0] = ((global const float*)row)[u];
}

void unit_f16(global const uchar* row, int u, float* w)
{
    w[0] = vload_half(u, (global const half*)row);
}

// Q8_0: half d, 32 x int8; value = d * q.
void unit_q8_0(global const uchar* row, int u, float* w)
{
    global const uchar* b = row + u * 34;
    float d = half_at(b);
    global const char* q = (global const char*)(b + 2);
    for (int j = 0; j < 32; j++)
        w[j] = d * q[j];
}

// Q4_0: half d, 16 bytes; byte j holds element j (low nibble) and j + 16 (high); value = d * (q - 8).
void unit_q4_0(global const uchar* row, int u, float* w)
{
    global const uchar* b = row + u * 18;
    float d = half_at(b);
    global const uchar* qs = b + 2;
    for (int j = 0; j < 16; j++) {
        w[j] = d * ((qs[j] & 15) - 8);
        w[j + 16] = d * ((qs[j] >> 4) - 8);
    }
}

// Q4_K super-block (144 bytes): half d, half dmin, 12 bytes of 6-bit (scale, min) pairs, 128 bytes of nibbles.
// Sub-block j: value = d * scale_j * q - dmin * min_j; its levels are the low (j even) or high (j odd)
// nibbles of bytes 32 * (j / 2) .. + 31.
void unit_q4_k(global const uchar* row, int u, float* w)
{
    global const uchar* b = row + (u / 8) * 144;
    int j = u % 8;
    float d = half_at(b), dmin = half_at(b + 2);
    global const uchar* sc = b + 4;
    int scale, min;
    if (j < 4) {
        scale = sc[j] & 63;
        min = sc[j + 4] & 63;
    } else {
        scale = (sc[j + 4] & 15) | ((sc[j - 4] >> 6) << 4);
        min = (sc[j + 4] >> 4) | ((sc[j] >> 6) << 4);
    }
    float s = d * scale, m = dmin * min;
    global const uchar* qs = b + 16 + 32 * (j / 2);
    int shift = 4 * (j % 2);
    for (int l = 0; l < 32; l++)
        w[l] = s * ((qs[l] >> shift) & 15) - m;
}

// Q6_K super-block (210 bytes): 128 bytes low nibbles (ql), 64 bytes high 2-bit pairs (qh), 16 int8 scales, half d.
// Unit u covers elements 128 * half + 32 * g + l (l < 32) with half = (u % 8) / 4, g = u % 4.
void unit_q6_k(global const uchar* row, int u, float* w)
{
    global const uchar* b = row + (u / 8) * 210;
    int k = u % 8, half_index = k / 4, g = k % 4;
    global const uchar* ql = b + 64 * half_index + 32 * (g % 2);
    global const uchar* qh = b + 128 + 32 * half_index;
    global const char* scales = (global const char*)(b + 192);
    float d = half_at(b + 208);
    int low_shift = 4 * (g / 2), high_shift = 2 * g;
    for (int l = 0; l < 32; l++) {
        int q = (((ql[l] >> low_shift) & 15) | (((qh[l] >> high_shift) & 3) << 4)) - 32;
        w[l] = d * scales[8 * half_index + 2 * g + l / 16] * q;
    }
}

// One token: one work-group per row, each work-item a strided share of the units, reduced in local memory.
#define MATVEC(NAME) \
kernel void matvec_##NAME(global const uchar* w, ulong w_offset, ulong row_bytes, \
    global const float* x, ulong x_offset, global float* y, ulong y_offset, int k) \
{ \
    local float scratch[GROUP]; \
    global const uchar* row = w + w_offset + get_group_id(0) * row_bytes; \
    global const float* xv = x + x_offset; \
    float wu[UNIT_##NAME]; \
    float sum = 0.0f; \
    for (int u = get_local_id(0); u < k / UNIT_##NAME; u += GROUP) { \
        unit_##NAME(row, u, wu); \
        global const float* xu = xv + u * UNIT_##NAME; \
        for (int j = 0; j < UNIT_##NAME; j++) \
            sum += wu[j] * xu[j]; \
    } \
    sum = group_sum(scratch, sum); \
    if (get_local_id(0) == 0) \
        y[y_offset + get_group_id(0)] = sum; \
}

// Several tokens: a work-group per (row, TOKENS tokens) decodes each unit once and uses it for all its tokens,
// so the weights are read tokens / TOKENS times instead of tokens times.
#define MATMUL(NAME) \
kernel void matmul_##NAME(global const uchar* w, ulong w_offset, ulong row_bytes, \
    global const float* x, ulong x_offset, global float* y, ulong y_offset, int k, int rows, int tokens) \
{ \
    local float scratch[GROUP]; \
    int r = get_group_id(0); \
    int t0 = get_group_id(1) * TOKENS; \
    int count = min(TOKENS, tokens - t0); \
    global const uchar* row = w + w_offset + (ulong)r * row_bytes; \
    global const float* xv = x + x_offset + (ulong)t0 * k; \
    float acc[TOKENS]; \
    for (int t = 0; t < TOKENS; t++) \
        acc[t] = 0.0f; \
    float wu[UNIT_##NAME]; \
    for (int u = get_local_id(0); u < k / UNIT_##NAME; u += GROUP) { \
        unit_##NAME(row, u, wu); \
        for (int t = 0; t < count; t++) { \
            global const float* xu = xv + (ulong)t * k + u * UNIT_##NAME; \
            float s = 0.0f; \
            for (int j = 0; j < UNIT_##NAME; j++) \
                s += wu[j] * xu[j]; \
            acc[t] += s; \
        } \
    } \
    for (int t = 0; t < TOKENS; t++) { \
        float total = group_sum(scratch, acc[t]); \
        if (get_local_id(0) == 0 && t < count) \
            y[y_offset + (ulong)(t0 + t) * rows + r] = total; \
    } \
}

MATVEC(f32)
MATVEC(f16)
MATVEC(q8_0)
MATVEC(q4_0)
MATVEC(q4_k)
MATVEC(q6_k)
MATMUL(f32)
MATMUL(f16)
MATMUL(q8_0)
MATMUL(q4_0)
MATMUL(q4_k)
MATMUL(q6_k)
