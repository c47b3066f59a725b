/* cmd_train.c — `earshot train --manifest M.csv --out B.esbridge`: trains a
 * bridge from labelled audio (and transcripts) for the active text space,
 * with per-epoch progress and a summary; optional int8 and ONNX outputs. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "app/bridge_pipeline.h"
#include "app/cli.h"
#include "models/bridge/bridge_onnx.h"

void es_cmd_train_help(FILE *out)
{
    fprintf(out,
            "Usage: earshot train --manifest M.csv --out B.esbridge [OPTIONS]\n\n"
            "Trains a bridge: a small network from sound features to the text\n"
            "space, so sounds can be found by text (docs/BRIDGE.md). Targets are\n"
            "the text embeddings of each label's prompt (or of the row's text).\n\n"
            "Options:\n"
            "  --out PATH            where the bridge goes (required)\n"
            "  --folds LIST          train on these folds only, e.g. 1,2,3,4\n"
            "  --int8                store int8 weights with per-row scales\n"
            "  --onnx PATH           also export the bridge as ONNX\n");
    es_bp_options_help(out);
}

int es_cmd_train(int argc, char **argv)
{
    es_bp_options o;
    es_bp_default_options(&o);
    const char *out = NULL, *onnx = NULL, *folds_s = NULL;
    int int8 = 0;
    for (int i = 1; i < argc; i++) {
        int r = es_bp_parse_option(&o, "train", argc, argv, &i);
        if (r < 0)
            return ES_EXIT_USAGE;
        if (r)
            continue;
        const char *a = argv[i];
        if ((!strcmp(a, "--out") || !strcmp(a, "-o")) && i + 1 < argc)
            out = argv[++i];
        else if (!strcmp(a, "--onnx") && i + 1 < argc)
            onnx = argv[++i];
        else if (!strcmp(a, "--folds") && i + 1 < argc)
            folds_s = argv[++i];
        else if (!strcmp(a, "--int8"))
            int8 = 1;
        else
            return es_cli_usage_error("train", "unknown option or missing value: '%s'", a);
    }
    if (!o.manifest)
        return es_cli_usage_error("train", "--manifest is required");
    if (!out)
        return es_cli_usage_error("train", "--out is required");

    es_error err = {0};
    int folds[64], nf = 0;
    if (folds_s && es_fold_list_parse(folds_s, folds, 64, &nf, &err))
        return es_cli_usage_error("train", "%s", err.message);
    es_bp bp;
    if (es_bp_open(&bp, &o, &err))
        return es_cli_report(&err);
    int rc = ES_EXIT_OK;
    int *rows = NULL;
    size_t n = 0;
    es_bridge_net *net = NULL;
    es_bridge_meta meta = {0};
    es_bridge_train_report rep;
    if (folds_s && !bp.m->has_fold && o.kfold == 0) {
        fprintf(stderr, "earshot: %s has no '%s' column: drop --folds, name the "
                "column with --fold-column, or make folds with --kfold\n",
                bp.m->file, o.cols.fold ? o.cols.fold : "fold");
        rc = ES_EXIT_FAIL;
        goto done;
    }
    if (es_manifest_check_folds(bp.m, folds, nf, &err) ||
        (nf ? es_manifest_select(bp.m, folds, nf, 1, &rows, &n, &err)
            : es_manifest_select(bp.m, NULL, 0, 0, &rows, &n, &err)) ||
        (bp.m->n_labels && es_manifest_check_classes(bp.m, &err))) {
        rc = es_cli_report(&err);
        goto done;
    }
    fprintf(stderr, "text space: %s\n", es_text_encoder_describe(bp.enc));
    if (es_bp_train(&bp, rows, n, &net, &rep, &err) ||
        es_bp_meta(&bp, &rep, &meta, &err)) {
        rc = es_cli_report(&err);
        goto done;
    }
    if (int8)   /* so the ONNX export holds the weights the file holds */
        es_bridge_net_quantize(net);
    if (es_bridge_save(out, net, &meta, int8, &err) ||
        (onnx && es_bridge_export_onnx(net, &meta, onnx, &err))) {
        rc = es_cli_report(&err);
        goto done;
    }
    struct stat sb;
    long kb = stat(out, &sb) == 0 ? (long)((sb.st_size + 1023) / 1024) : -1;
    fprintf(stderr, "trained: %d epochs (best %d", rep.epochs_run, rep.best_epoch);
    if (rep.best_val_map10 == rep.best_val_map10)
        fprintf(stderr, ", validation mAP@10 %.3f", rep.best_val_map10);
    fprintf(stderr, ") in %.1f s\n", rep.seconds);
    printf("wrote %s (%ld KB, %s)\n", out, kb, int8 ? "int8" : "f32");
    if (onnx)
        printf("wrote %s (ONNX)\n", onnx);
done:
    es_bridge_meta_free(&meta);
    es_bridge_net_free(net);
    free(rows);
    es_bp_close(&bp);
    return rc;
}
