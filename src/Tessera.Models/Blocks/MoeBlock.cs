using System.Numerics.Tensors;
using Tessera.Devices;
using Tessera.Devices.Cpu;
using Tessera.Kernels;
using Tessera.Kernels.Elementwise;
using Tessera.Models.Experts;
using Tessera.Models.Placement;

namespace Tessera.Models.Blocks;

/// <summary>
/// Mixture-of-experts feed-forward: the router scores every expert per token, softmax, the top k are kept (ties to
/// the lower expert id) and optionally renormalised to sum 1; output = sum over the chosen experts of
/// weight * SwiGLU_expert(n). Tokens are grouped by expert, so each expert runs once over all tokens routed to it
/// (a matrix-matrix product in prompt processing) and experts nobody chose are skipped. The router logits come back
/// to the host (a few floats per token) to choose; the experts run on the sub-block's device.
/// </summary>
internal static class MoeBlock
{
    /// <param name="normed">[tokens, n_embd]</param>
    /// <param name="output">[tokens, n_embd]</param>
    public static void Forward(TransformerModel model, int layer, PlacedFeedForward w, DeviceSpan normed, int tokens, DeviceSpan output,
        DeviceScratch s, ForwardScratch host, MoeSchedule schedule, ExpertStatistics? statistics, DeviceExperts? deviceExperts = null)
    {
        var hp = model.Hyperparameters;
        var device = w.Device;
        int embd = hp.EmbeddingLength;
        int experts = hp.ExpertCount;
        int used = hp.ExpertUsedCount;

        var routerLogits = s.RouterLogits!.Slice(0, tokens * experts);    // [tokens, n_expert]
        device.Linear(w.Router!, normed, tokens, routerLogits);
        var router = host.RouterLogits.AsSpan(0, tokens * experts);
        device.Read(routerLogits, router);
        for (int t = 0; t < tokens; t++)
            Route(router.Slice(t * experts, experts), host.SelectedExperts.AsSpan(t * used, used), host.ExpertWeights.AsSpan(t * used, used),
                model.Options.NormalizeExpertWeights);
        statistics?.Record(layer, host.SelectedExperts.AsSpan(0, tokens * used), tokens);

        device.Clear(output);
        // Hot experts with copies on an accelerator: that device takes them while the CPU takes the rest.
        if (deviceExperts is { Usable: true } && device.Kind == DeviceKind.Cpu)
        {
            lock (deviceExperts.Device.Gate)
                ExpertsGrouped(model, layer, w, normed, tokens, output, s, host, statistics, deviceExperts);
            return;
        }
        // A few (token, expert) pairs that all name different experts run as one list of single-token products; once
        // two tokens share an expert, the grouped pass reads that expert's weights once for both.
        if (schedule == MoeSchedule.Auto && 2 * tokens * used <= MaxParallelProducts
            && tokens * used * hp.ExpertFeedForwardLength <= s.Gate.Length && AllDistinct(host.SelectedExperts.AsSpan(0, tokens * used)))
        {
            ExpertsInParallel(model, w, normed, tokens, output, s, host);
            return;
        }
        if (schedule == MoeSchedule.Auto)
        {
            ExpertsGrouped(model, layer, w, normed, tokens, output, s, host, statistics, remote: null);
            return;
        }
        for (int e = 0; e < experts; e++)
        {
            int routed = 0;
            for (int t = 0; t < tokens; t++)
            {
                for (int j = 0; j < used; j++)
                {
                    if (host.SelectedExperts[t * used + j] != e)
                        continue;
                    host.ExpertTokens[routed] = t;
                    host.ExpertRouteWeights[routed] = host.ExpertWeights[t * used + j];
                    routed++;
                }
            }
            if (routed == 0)
                continue;
            var rows = host.ExpertTokens.AsSpan(0, routed);
            var input = s.ExpertInput!.Slice(0, routed * embd);           // [routed, n_embd]
            var expertOutput = s.ExpertOutput!.Slice(0, routed * embd);   // [routed, n_embd]
            device.GatherRows(normed, embd, rows, input);
            FeedForwardBlock.SwiGluFeedForward(device, w.ExpertGate!.Expert(e, hp.ExpertFeedForwardLength), w.ExpertUp!.Expert(e, hp.ExpertFeedForwardLength),
                w.ExpertDown!.Expert(e, embd), input, routed, s, expertOutput);
            device.ScatterAddRows(expertOutput, embd, rows, host.ExpertRouteWeights.AsSpan(0, routed), output);
        }
    }

    /// <summary>Most products one parallel pass takes (gate and up of every selected expert of every token).</summary>
    internal const int MaxParallelProducts = 32;

    /// <summary>
    /// Expert tensor parallelism for decode: gate and up of every (token, selected expert) as one list of products,
    /// SwiGLU over all of them at once, every down projection as one list, then the weighted sum per token. Each
    /// token's experts are taken in id order, as the expert-by-expert loop adds them, so one-token results are the same
    /// to the bit.
    /// </summary>
    private static void ExpertsInParallel(TransformerModel model, PlacedFeedForward w, DeviceSpan normed, int tokens, DeviceSpan output,
        DeviceScratch s, ForwardScratch host)
    {
        var hp = model.Hyperparameters;
        var device = w.Device;
        int embd = hp.EmbeddingLength;
        int used = hp.ExpertUsedCount;
        int ff = hp.ExpertFeedForwardLength;
        int slots = tokens * used;
        for (int t = 0; t < tokens; t++)
            SortByExpert(host.SelectedExperts.AsSpan(t * used, used), host.ExpertWeights.AsSpan(t * used, used));

        var products = host.ExpertProducts.AsSpan();
        for (int slot = 0; slot < slots; slot++)
        {
            int t = slot / used, e = host.SelectedExperts[slot];
            var x = normed.Slice(t * embd, embd);
            products[2 * slot] = new(w.ExpertGate!.Expert(e, ff), x, s.Gate.Slice(slot * ff, ff));
            products[2 * slot + 1] = new(w.ExpertUp!.Expert(e, ff), x, s.Up.Slice(slot * ff, ff));
            host.ExpertTokens[slot] = t;
        }
        device.LinearEach(products[..(2 * slots)]);
        device.SwiGlu(s.Gate.Slice(0, slots * ff), s.Up.Slice(0, slots * ff), s.Gate.Slice(0, slots * ff));
        for (int slot = 0; slot < slots; slot++)
            products[slot] = new(w.ExpertDown!.Expert(host.SelectedExperts[slot], embd), s.Gate.Slice(slot * ff, ff), s.ExpertOutput!.Slice(slot * embd, embd));
        device.LinearEach(products[..slots]);
        device.ScatterAddRows(s.ExpertOutput!.Slice(0, slots * embd), embd, host.ExpertTokens.AsSpan(0, slots), host.ExpertWeights.AsSpan(0, slots), output);
    }

    /// <summary>
    /// Load-balanced expert scheduling for prompts and multi-sequence steps: every chosen (token, expert) row is
    /// gathered expert by expert into one input, then gate and up of every active expert go to the device as one
    /// grouped operation (the CPU packs their row shards onto its threads longest first, sized by the expert
    /// statistics' shard plan), SwiGLU runs over all rows at once, every down projection is a second grouped operation,
    /// and one weighted scatter adds each token's experts in id order, as the expert-by-expert loop does.
    /// </summary>
    private static void ExpertsGrouped(TransformerModel model, int layer, PlacedFeedForward w, DeviceSpan normed, int tokens, DeviceSpan output,
        DeviceScratch s, ForwardScratch host, ExpertStatistics? statistics, DeviceExperts? remote)
    {
        var hp = model.Hyperparameters;
        var device = w.Device;
        int embd = hp.EmbeddingLength;
        int experts = hp.ExpertCount;
        int used = hp.ExpertUsedCount;
        int ff = hp.ExpertFeedForwardLength;
        ReadOnlySpan<int> shards = statistics is null ? default : statistics.ShardPlan.For(layer, statistics, device.ComputeUnits);

        // The (token, choice) pairs grouped by expert, tokens ascending within each expert: each pair becomes its token
        // and routing weight, in place.
        var offsets = host.ExpertOffsets;
        int routed = tokens * used;
        CountingSort.Group(host.SelectedExperts.AsSpan(0, routed), offsets, host.ExpertTokens.AsSpan(0, routed));
        for (int slot = 0; slot < routed; slot++)
        {
            int pair = host.ExpertTokens[slot];
            host.ExpertRouteWeights[slot] = host.ExpertWeights[pair];
            host.ExpertTokens[slot] = pair / used;
        }
        var rows = host.ExpertTokens.AsSpan(0, routed);
        var input = s.ExpertInput!.Slice(0, routed * embd);       // [routed, n_embd], expert by expert
        var gate = s.ExpertGate!.Slice(0, routed * ff);           // [routed, n_ff_exp]
        var up = s.ExpertUp!.Slice(0, routed * ff);               // [routed, n_ff_exp]
        var expertOutput = s.ExpertOutput!.Slice(0, routed * embd);
        device.GatherRows(normed, embd, rows, input);

        // The experts with a copy on the accelerator are queued there first (it runs while the CPU works).
        var onRemote = host.ExpertOnRemote;
        Array.Clear(onRemote);
        if (remote != null)
            QueueOnRemote(remote, layer, hp, input, offsets, host, onRemote);

        var groups = host.ExpertGroups.AsSpan();
        int count = 0;
        for (int e = 0; e < experts; e++)
        {
            int first = offsets[e], n = offsets[e + 1] - first;
            if (n == 0 || onRemote[e])
                continue;
            int cut = shards.IsEmpty ? 1 : shards[e];
            groups[count++] = new(w.ExpertGate!.Expert(e, ff), input.Slice(first * embd, n * embd), n, gate.Slice(first * ff, n * ff), cut);
            groups[count++] = new(w.ExpertUp!.Expert(e, ff), input.Slice(first * embd, n * embd), n, up.Slice(first * ff, n * ff), cut);
        }
        device.LinearGrouped(groups[..count]);
        device.SwiGlu(gate, up, gate);
        count = 0;
        for (int e = 0; e < experts; e++)
        {
            int first = offsets[e], n = offsets[e + 1] - first;
            if (n == 0 || onRemote[e])
                continue;
            int cut = shards.IsEmpty ? 1 : shards[e];
            groups[count++] = new(w.ExpertDown!.Expert(e, embd), gate.Slice(first * ff, n * ff), n, expertOutput.Slice(first * embd, n * embd), cut);
        }
        device.LinearGrouped(groups[..count]);

        // The accelerator's outputs join the CPU's rows (the reads wait for it), then one scatter adds every expert.
        if (remote != null)
        {
            var remoteOutput = host.On(remote.Device).ExpertOutput!;
            var hostOutput = CpuDevice.Host(expertOutput);
            for (int e = 0; e < experts; e++)
            {
                int first = offsets[e], n = offsets[e + 1] - first;
                if (onRemote[e])
                    remote.Device.Read(remoteOutput.Slice(first * embd, n * embd), hostOutput.Slice(first * embd, n * embd));
            }
        }
        device.ScatterAddRows(expertOutput, embd, rows, host.ExpertRouteWeights.AsSpan(0, routed), output);
    }

    /// <summary>Queues, on the accelerator, the SwiGLU experts of this step that have a complete copy there: their input
    /// rows go over, gate and up, SwiGLU and down are enqueued; <paramref name="onRemote"/> marks them.</summary>
    private static void QueueOnRemote(DeviceExperts remote, int layer, Hyperparameters hp, DeviceSpan input, int[] offsets, ForwardScratch host,
        bool[] onRemote)
    {
        int embd = hp.EmbeddingLength, ff = hp.ExpertFeedForwardLength;
        var accelerator = remote.Device;
        var r = host.On(accelerator);
        var hostInput = CpuDevice.Host(input);
        var groups = host.ExpertGroups.AsSpan();
        int count = 0;
        long pairsThere = 0;
        for (int e = 0; e < hp.ExpertCount; e++)
        {
            int first = offsets[e], n = offsets[e + 1] - first;
            if (n == 0 || remote.Copy(layer, e) is not { } copy)
                continue;
            onRemote[e] = true;
            pairsThere += n;
            accelerator.Write(r.ExpertInput!.Slice(first * embd, n * embd), hostInput.Slice(first * embd, n * embd));
            groups[count++] = new(copy.Gate, r.ExpertInput!.Slice(first * embd, n * embd), n, r.ExpertGate!.Slice(first * ff, n * ff));
            groups[count++] = new(copy.Up, r.ExpertInput!.Slice(first * embd, n * embd), n, r.ExpertUp!.Slice(first * ff, n * ff));
        }
        remote.Count(pairsThere, offsets[hp.ExpertCount] - pairsThere);
        if (count == 0)
            return;
        accelerator.LinearGrouped(groups[..count]);
        count = 0;
        for (int e = 0; e < hp.ExpertCount; e++)
        {
            if (!onRemote[e])
                continue;
            int first = offsets[e], n = offsets[e + 1] - first;
            var gate = r.ExpertGate!.Slice(first * ff, n * ff);
            accelerator.SwiGlu(gate, r.ExpertUp!.Slice(first * ff, n * ff), gate);
            groups[count++] = new(remote.Copy(layer, e)!.Down, gate, n, r.ExpertOutput!.Slice(first * embd, n * embd));
        }
        accelerator.LinearGrouped(groups[..count]);
    }

    private static bool AllDistinct(ReadOnlySpan<int> experts)
    {
        for (int i = 1; i < experts.Length; i++)
        {
            if (experts[..i].Contains(experts[i]))
                return false;
        }
        return true;
    }

    /// <summary>Orders one token's choices by expert id, carrying their weights along.</summary>
    private static void SortByExpert(Span<int> experts, Span<float> weights)
    {
        for (int i = 1; i < experts.Length; i++)
        {
            for (int j = i; j > 0 && experts[j - 1] > experts[j]; j--)
            {
                (experts[j - 1], experts[j]) = (experts[j], experts[j - 1]);
                (weights[j - 1], weights[j]) = (weights[j], weights[j - 1]);
            }
        }
    }

    /// <summary>Softmax over <paramref name="logits"/> (in place), then the k most probable experts and their weights.</summary>
    private static void Route(Span<float> logits, Span<int> selected, Span<float> weights, bool normalize)
    {
        Softmax.Apply(logits);
        for (int j = 0; j < selected.Length; j++)
        {
            int best = -1;
            for (int e = 0; e < logits.Length; e++)
            {
                if (selected[..j].Contains(e))
                    continue;
                if (best < 0 || logits[e] > logits[best])
                    best = e;
            }
            selected[j] = best;
            weights[j] = logits[best];
        }
        if (normalize)
            TensorPrimitives.Divide(weights, TensorPrimitives.Sum(weights), weights);
    }
}
