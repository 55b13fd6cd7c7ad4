"""The frozen inference forms (dprk_stance.models.frozen) against scikit-learn itself."""

import numpy as np
import pytest
from conftest import make_corpus
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from dprk_stance.models.frozen import LinearClassifier, TfidfTransform
from dprk_stance.models.persist import load_logreg, load_tfidf, save_logreg, save_tfidf

AWKWARD = [
    "",
    "   ",
    "!!! ... ---",
    "a",
    "Kyŏngje Yŏn'gu and the Chŏllima spirit: ÉCONOMIE, naïve café",
    "Tabs\tand\n\nnewlines   and  runs of   spaces",
    "Numbers 1,234.5 and 2021 and ۱۲۳ digits",
    "ﬁ ligature, Ｆｕｌｌｗｉｄｔｈ letters, ß and İstanbul",
    "enterprise enterprise enterprise responsibility",
    "不 Chinese 字 and 한국어 text",
]


def corpus_texts() -> list[str]:
    return [r["text"] for r in make_corpus(n_docs=40)]


@pytest.mark.parametrize(
    "settings",
    [
        {"ngram_range": (1, 2), "sublinear_tf": True, "strip_accents": "unicode"},
        {"ngram_range": (1, 1), "sublinear_tf": False, "strip_accents": None},
        {"ngram_range": (2, 3), "strip_accents": "ascii", "lowercase": False},
        {"analyzer": "char_wb", "ngram_range": (3, 5), "sublinear_tf": True},
        {"analyzer": "char_wb", "ngram_range": (1, 2), "norm": None},
    ],
)
def test_tfidf_transform_matches_scikit_learn(settings, tmp_path):
    train = corpus_texts() + AWKWARD
    fitted = TfidfVectorizer(**settings).fit(train)
    save_tfidf(fitted, tmp_path, "v")
    frozen = load_tfidf(tmp_path, "v")
    assert isinstance(frozen, TfidfTransform)
    texts = AWKWARD + [t.upper() for t in corpus_texts()[:20]] + ["unseen words only here"]
    expected = fitted.transform(texts).toarray()
    np.testing.assert_allclose(frozen.transform(texts).toarray(), expected, rtol=0, atol=1e-12)
    for text in texts:
        assert frozen.analyze(text) == fitted.build_analyzer()(text)


def test_unsupported_vectorizer_settings_refuse_to_load():
    with pytest.raises(ValueError, match="analyzer"):
        TfidfTransform({"analyzer": "char", "ngram_range": [1, 2]}, {"a": 0}, np.ones(1))
    with pytest.raises(ValueError, match="idf"):
        TfidfTransform({"analyzer": "word", "ngram_range": [1, 1]}, {"a": 0}, np.ones(2))


@pytest.mark.parametrize("classes", [[0, 1, 2, 3], [0, 2], [1, 2, 3]])
@pytest.mark.parametrize("sparse", [True, False])
def test_linear_classifier_matches_logistic_regression(classes, sparse, tmp_path):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(60, 5))
    y = np.resize(np.array(classes), 60)
    x[np.arange(60), y % 5] += 2.0
    features = TfidfVectorizer().fit_transform(corpus_texts()[:60]) if sparse else x
    clf = LogisticRegression(C=10.0, max_iter=2000).fit(features, y)
    save_logreg(clf, tmp_path, "c")
    frozen = load_logreg(tmp_path, "c")
    assert isinstance(frozen, LinearClassifier)
    np.testing.assert_array_equal(frozen.classes_, clf.classes_)
    np.testing.assert_allclose(
        frozen.predict_proba(features), clf.predict_proba(features), atol=1e-12
    )
    np.testing.assert_allclose(
        frozen.predict_log_proba(features), clf.predict_log_proba(features), atol=1e-9
    )


def test_a_loaded_linear_model_never_imports_scikit_learn(trained):
    import subprocess
    import sys
    from pathlib import Path

    for name in ("keywords", "tfidf-logreg"):
        model_dir = str(Path(trained.paths.models_dir) / name)
        probe = (
            "import sys; from dprk_stance.models import load_model; "
            f"m = load_model({model_dir!r}); m.assess(['a passage about enterprise plans']); "
            "print(sorted(k for k in sys.modules if k.split('.')[0] in "
            "{'sklearn', 'torch', 'transformers', 'pandas'}))"
        )
        run = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
        assert run.returncode == 0, run.stderr
        assert run.stdout.strip() == "[]", (name, run.stdout)
