// Element-wise and per-row kernels, in the same float operation order as the CPU kernels
// (Tessera.Kernels.Elementwise) so results agree up to rounding. Offsets are in elements.

// y = x / sqrt(mean(x^2) + eps) * w, one work-group per row of `width`; y may be x.
kernel void rms_norm(global const float* x, ulong x_offset, global const float* w, ulong w_offset,
    global float* y, ulong y_offset, int width, float eps)
{
    local float scratch[GROUP];
    ulong base = (ulong)get_group_id(0) * width;
    global const float* xr = x + x_offset + base;
    global float* yr = y + y_offset + base;
    float s = 0.0f;
    for (int i = get_local_id(0); i < width; i += GROUP)
        s += xr[i] * xr[i];
    s = group_sum(scratch, s);
    float scale = 1.0f / sqrt(s / width + eps);
    for (int i = get_local_id(0); i < width; i += GROUP)
        yr[i] = xr[i] * scale * w[w_offset + i];
}

// y[i] += bias[i % width].
kernel void add_rows(global float* y, ulong y_offset, global const float* bias, ulong bias_offset, int width)
{
    ulong i = get_global_id(0);
    y[y_offset + i] += bias[bias_offset + i % width];
}

// Rotates pair `i` of head `h` of token `t` by the host's (cos, sin) table [tokens, pairs, 2].
// Pair i is (i * first_stride, i * first_stride + second_offset): (2i, 2i+1) normal, (i, i + pairs) NeoX.
kernel void rope(global float* x, ulong x_offset, global const float* table, ulong table_offset,
    int heads, int head_dim, int pairs, int first_stride, int second_offset)
{
    int i = get_global_id(0), h = get_global_id(1), t = get_global_id(2);
    global float* head = x + x_offset + ((ulong)t * heads + h) * head_dim;
    global const float* cs = table + table_offset + 2 * ((ulong)t * pairs + i);
    float c = cs[0], s = cs[1];
    int a = i * first_stride, b = a + second_offset;
    float x0 = head[a], x1 = head[b];
    head[a] = x0 * c - x1 * s;
    head[b] = x0 * s + x1 * c;
}

// out = silu(g) * u = sigmoid(g) * g * u; out may be gate or up.
kernel void swiglu(global const float* gate, ulong gate_offset, global const float* up, ulong up_offset,
    global float* out, ulong out_offset)
{
    ulong i = get_global_id(0);
    float g = gate[gate_offset + i];
    float s = 1.0f / (1.0f + exp(-g));
    out[out_offset + i] = s * g * up[up_offset + i];
}

// x += y.
kernel void add(global float* x, ulong x_offset, global const float* y, ulong y_offset)
{
    ulong i = get_global_id(0);
    x[x_offset + i] += y[y_offset + i];
}

// In-place softmax of each row of `width`: exp(x - max) / sum, one work-group per row.
kernel void softmax(global float* x, ulong x_offset, int width)
{
    local float scratch[GROUP];
    global float* xr = x + x_offset + (ulong)get_group_id(0) * width;
    float m = -INFINITY;
    for (int i = get_local_id(0); i < width; i += GROUP)
        m = fmax(m, xr[i]);
    m = group_max(scratch, m);
    float s = 0.0f;
    for (int i = get_local_id(0); i < width; i += GROUP) {
        float e = exp(xr[i] - m);
        xr[i] = e;
        s += e;
    }
    float inv = 1.0f / group_sum(scratch, s);
    for (int i = get_local_id(0); i < width; i += GROUP)
        xr[i] *= inv;
}

// destination row i = source row rows[i]; global size (width, rows).
kernel void gather_rows(global const float* src, ulong src_offset, global const int* rows, ulong rows_offset,
    global float* dst, ulong dst_offset, int width)
{
    int c = get_global_id(0), i = get_global_id(1);
    dst[dst_offset + (ulong)i * width + c] = src[src_offset + (ulong)rows[rows_offset + i] * width + c];
}

// destination row rows[i] += weights[i] * source row i. One work-item per column walks the rows in order,
// so repeated destination rows add up deterministically, as on the CPU.
kernel void scatter_add_rows(global const float* src, ulong src_offset, global const int* rows, ulong rows_offset,
    global const float* weights, ulong weights_offset, global float* dst, ulong dst_offset, int width, int count)
{
    int c = get_global_id(0);
    for (int i = 0; i < count; i++) {
        global float* target = dst + dst_offset + (ulong)rows[rows_offset + i] * width + c;
        *target = src[src_offset + (ulong)i * width + c] * weights[weights_offset + i] + *target;
    }
}
