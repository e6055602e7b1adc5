// Paged KV cache [cell, kv_heads, head_dim] in F16 or F32, and causal grouped-query attention over it. kv_store
// copies n = tokens * kv_heads * head_dim new keys and values into their cells; F16 rounds to nearest even like
// HalfConversion.ToHalf.

// Position p of a sequence lives in cell pages[p / page_size] * page_size + p % page_size of the layer's pool.
inline ulong kv_cell(global const int* pages, int page_size, int p)
{
    return (ulong)pages[p / page_size] * page_size + p % page_size;
}

// Element i of the new tokens' keys/values [tokens, width] goes to position first_position + i / width.
kernel void kv_store_f32(global const float* k, ulong k_offset, global const float* v, ulong v_offset,
    global float* kc, ulong kc_offset, global float* vc, ulong vc_offset,
    global const int* pages, ulong pages_offset, int page_size, int width, int first_position)
{
    ulong i = get_global_id(0);
    ulong cell = kv_cell(pages + pages_offset, page_size, first_position + (int)(i / width));
    ulong at = cell * width + i % width;
    kc[kc_offset + at] = k[k_offset + i];
    vc[vc_offset + at] = v[v_offset + i];
}

kernel void kv_store_f16(global const float* k, ulong k_offset, global const float* v, ulong v_offset,
    global half* kc, ulong kc_offset, global half* vc, ulong vc_offset,
    global const int* pages, ulong pages_offset, int page_size, int width, int first_position)
{
    ulong i = get_global_id(0);
    ulong cell = kv_cell(pages + pages_offset, page_size, first_position + (int)(i / width));
    ulong at = cell * width + i % width;
    vstore_half_rte(k[k_offset + i], kc_offset + at, kc);
    vstore_half_rte(v[v_offset + i], vc_offset + at, vc);
}

#define LOAD_f32(p, i) ((p)[i])
#define LOAD_f16(p, i) vload_half((i), (p))
#define OWNED ((MAX_HEAD_DIM + GROUP - 1) / GROUP)

// One work-group per (query head, token). Positions are taken GROUP at a time: each work-item scores one position,
// the chunk's max and exponent sum update a running (online) softmax, then each work-item accumulates the
// probability-weighted values of the head dimensions it owns (lid, lid + GROUP, ...). Token t sees positions
// 0..first_position + t; query head h reads KV head h / (heads / kv_heads); positions map to cells through pages.
#define ATTENTION(NAME, T) \
kernel void attention_##NAME(global const float* q, ulong q_offset, global const T* kc, ulong kc_offset, \
    global const T* vc, ulong vc_offset, global const int* pages, ulong pages_offset, int page_size, \
    global float* out, ulong out_offset, \
    int heads, int kv_heads, int head_dim, int first_position, float scale) \
{ \
    local float qv[MAX_HEAD_DIM]; \
    local float probs[GROUP]; \
    local float scratch[GROUP]; \
    int h = get_group_id(0), t = get_group_id(1), lid = get_local_id(0); \
    int kv_head = h / (heads / kv_heads); \
    int visible = first_position + t + 1; \
    ulong stride = (ulong)kv_heads * head_dim; \
    ulong head_offset = (ulong)kv_head * head_dim; \
    global const int* table = pages + pages_offset; \
    global const float* qr = q + q_offset + ((ulong)t * heads + h) * head_dim; \
    for (int d = lid; d < head_dim; d += GROUP) \
        qv[d] = qr[d]; \
    barrier(CLK_LOCAL_MEM_FENCE); \
    float acc[OWNED]; \
    for (int i = 0; i < OWNED; i++) \
        acc[i] = 0.0f; \
    float running_max = -INFINITY, denominator = 0.0f; \
    for (int start = 0; start < visible; start += GROUP) { \
        int p = start + lid; \
        float s = -INFINITY; \
        if (p < visible) { \
            ulong key = kc_offset + kv_cell(table, page_size, p) * stride + head_offset; \
            float dot = 0.0f; \
            for (int d = 0; d < head_dim; d++) \
                dot += LOAD_##NAME(kc, key + d) * qv[d]; \
            s = scale * dot; \
        } \
        float new_max = fmax(running_max, group_max(scratch, s)); \
        float rescale = exp(running_max - new_max); \
        float e = p < visible ? exp(s - new_max) : 0.0f; \
        probs[lid] = e; \
        denominator = denominator * rescale + group_sum(scratch, e); \
        int count = min(GROUP, visible - start); \
        for (int i = 0; i < OWNED; i++) { \
            int d = lid + i * GROUP; \
            if (d < head_dim) { \
                float a = acc[i] * rescale; \
                ulong value = vc_offset + head_offset + d; \
                for (int j = 0; j < count; j++) \
                    a += probs[j] * LOAD_##NAME(vc, value + kv_cell(table, page_size, start + j) * stride); \
                acc[i] = a; \
            } \
        } \
        running_max = new_max; \
        barrier(CLK_LOCAL_MEM_FENCE); \
    } \
    global float* o = out + out_offset + ((ulong)t * heads + h) * head_dim; \
    for (int i = 0; i < OWNED; i++) { \
        int d = lid + i * GROUP; \
        if (d < head_dim) \
            o[d] = acc[i] * (1.0f / denominator); \
    } \
}

ATTENTION(f32, float)
ATTENTION(f16, half)
