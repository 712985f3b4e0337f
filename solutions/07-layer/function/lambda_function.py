"""word-stats: a URL slug and a word count for an article: {"title": ..., "text": ...} -> {"slug": ..., "words": ...}.

The team already has these helpers in its textkit library. It reaches this function through a layer, so this
folder holds only the function's own code.
"""

# TODO 4: found in /opt/python, where Lambda unzipped the layer.
import textkit


def lambda_handler(event, context):
    # TODO 4: the library does the work; the handler only maps the event to it.
    return {"slug": textkit.slugify(event["title"]), "words": textkit.word_count(event["text"])}
