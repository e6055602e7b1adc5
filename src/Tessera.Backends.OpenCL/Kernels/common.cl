// Shared helpers. The build defines GROUP (work-group size of the reducing kernels, a power of two),
// MAX_HEAD_DIM (widest attention head) and TOKENS (tokens per matmul work-group).

// Sum of v over the work-group, returned to every work-item; scratch holds GROUP floats and may be
// reused as soon as this returns.
float group_sum(local float* scratch, float v)
{
    int lid = get_local_id(0);
    scratch[lid] = v;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int s = GROUP / 2; s > 0; s >>= 1) {
        if (lid < s)
            scratch[lid] += scratch[lid + s];
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    float result = scratch[0];
    barrier(CLK_LOCAL_MEM_FENCE);
    return result;
}

// Maximum of v over the work-group, like group_sum.
float group_max(local float* scratch, float v)
{
    int lid = get_local_id(0);
    scratch[lid] = v;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int s = GROUP / 2; s > 0; s >>= 1) {
        if (lid < s)
            scratch[lid] = fmax(scratch[lid], scratch[lid + s]);
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    float result = scratch[0];
    barrier(CLK_LOCAL_MEM_FENCE);
    return result;
}

// A little-endian half at byte p (always 2-byte aligned in the GGUF block layouts: every block size is even).
float half_at(global const uchar* p)
{
    return vload_half(0, (global const half*)p);
}
