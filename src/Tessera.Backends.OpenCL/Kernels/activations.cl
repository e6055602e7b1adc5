// Activations rounded the way the CPU's integer dot products quantize them, so a device computes what the CPU
// computes (and what the reference implementation does): x' = d * q per block. One work-item per block.

// Q8_0 / Q8_1 blocks of 32: d = max|x| / 127 stored as a half (round to nearest even), q = round(x / d) with ties
// away from zero, from the unrounded d.
kernel void round_q8_0(global const float* x, ulong x_offset, global float* out, ulong out_offset)
{
    ulong base = (ulong)get_global_id(0) * 32;
    global const float* in = x + x_offset + base;
    float amax = 0.0f;
    for (int j = 0; j < 32; j++)
        amax = fmax(amax, fabs(in[j]));
    float d = amax / 127.0f;
    float id = d != 0.0f ? 1.0f / d : 0.0f;
    // half is storage-only without cl_khr_fp16: round through a ushort's bits.
    ushort stored;
    vstore_half_rte(d, 0, (private half*)&stored);
    float dh = vload_half(0, (private const half*)&stored);
    for (int j = 0; j < 32; j++)
        out[out_offset + base + j] = dh * round(in[j] * id);
}

// Q8_K blocks of 256: the value of largest magnitude maps to -127 (d = that value / -127), the others round to
// nearest with ties to even, clamped to -127..127.
kernel void round_q8_k(global const float* x, ulong x_offset, global float* out, ulong out_offset)
{
    ulong base = (ulong)get_global_id(0) * 256;
    global const float* in = x + x_offset + base;
    float largest = 0.0f;
    for (int j = 0; j < 256; j++) {
        if (fabs(in[j]) > fabs(largest))
            largest = in[j];
    }
    if (largest == 0.0f) {
        for (int j = 0; j < 256; j++)
            out[out_offset + base + j] = 0.0f;
        return;
    }
    float iscale = -127.0f / largest;
    float d = 1.0f / iscale;
    for (int j = 0; j < 256; j++)
        out[out_offset + base + j] = d * clamp(rint(iscale * in[j]), -127.0f, 127.0f);
}
