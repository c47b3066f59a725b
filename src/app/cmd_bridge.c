/* cmd_bridge.c — `earshot bridge info B` and `earshot bridge onnx B OUT`:
 * look inside a trained bridge, and export it for other runtimes. */
#include <stdlib.h>
#include <string.h>

#include "app/cli.h"
#include "models/bridge/bridge_model.h"
#include "models/bridge/bridge_onnx.h"

void es_cmd_bridge_help(FILE *out)
{
    fprintf(out,
            "Usage: earshot bridge info B.esbridge\n"
            "       earshot bridge onnx B.esbridge OUT.onnx\n\n"
            "info: architecture, inputs, text space, training notes.\n"
            "onnx: writes the bridge as an ONNX model (opset 13): input\n"
            "      \"features\" [N × in] raw features, output \"embedding\".\n");
}

int es_cmd_bridge(int argc, char **argv)
{
    if (argc < 3)
        return es_cli_usage_error("bridge", "say info or onnx, and a bridge file");
    const char *sub = argv[1], *path = argv[2];
    if (strcmp(sub, "info") && strcmp(sub, "onnx"))
        return es_cli_usage_error("bridge", "unknown subcommand '%s' (info, onnx)", sub);
    if (!strcmp(sub, "onnx") && argc != 4)
        return es_cli_usage_error("bridge", "onnx needs a bridge and an output path");
    if (!strcmp(sub, "info") && argc != 3)
        return es_cli_usage_error("bridge", "info takes one bridge file");
    es_error err = {0};
    es_bridge *b = NULL;
    if (es_bridge_load(path, NULL, &b, &err))
        return es_cli_report(&err);
    int rc = ES_EXIT_OK;
    if (!strcmp(sub, "info")) {
        printf("bridge:      %s\n", es_bridge_describe(b));
        printf("input:       %s (%d values; feature layout %d)\n",
               es_bridge_input_name(es_bridge_get_input(b)), es_bridge_in_dim(b),
               b->meta.features_layout);
        printf("text space:  %s\n", es_bridge_text_identity(b));
        if (es_bridge_whisper_identity(b)[0])
            printf("whisper:     %s\n", es_bridge_whisper_identity(b));
        printf("parameters:  %zu\n", es_bridge_net_n_params(b->net));
        if (b->meta.notes)
            printf("notes:       %s\n", b->meta.notes);
    } else if (es_bridge_export_onnx(b->net, &b->meta, argv[3], &err)) {
        rc = es_cli_report(&err);
    } else {
        printf("wrote %s\n", argv[3]);
    }
    es_bridge_free(b);
    return rc;
}
