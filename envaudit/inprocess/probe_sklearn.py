"""The scikit-learn suite: small fits and metrics on fixed data whose outcome changed between
scikit-learn 1.2 and 1.9 (estimator defaults, metrics' values and types, preprocessing outputs,
removed parameters), and controls that did not.

Spliced into the probe runner (see probe_cases); ``np`` is the target's numpy, set by the runner
before any case runs; each case imports the scikit-learn module it needs (``import sklearn`` has
already loaded most of them). The data come from numpy's legacy RandomState, whose stream numpy
keeps frozen, so every environment fits the same numbers. Helpers are prefixed ``_sk_``: every
suite shares one namespace in the target. Fits are kept tiny: the whole suite must cost at most
about as much again as ``import sklearn``.
"""

from __future__ import annotations

from typing import Any

from envaudit.inprocess.probe_cases import begin_suite, case  # envaudit: splice probe_cases.py
from envaudit.inprocess.probe_render import typed  # envaudit: splice probe_render.py

np: Any = None  # set by the runner: the target's numpy

begin_suite("sklearn")

_SK_FLOAT = "the metric returns a Python float (was numpy.float64)"


def _sk_blobs() -> Any:
    """120 points in three blobs, 2 features."""
    rng = np.random.RandomState(0)
    return np.vstack([rng.normal(c, 1.0, size=(40, 2)) for c in ((0, 0), (4, 4), (0, 5))])


def _sk_binary() -> Any:
    """80 rows, 4 features, and a noisy binary target."""
    rng = np.random.RandomState(1)
    x = rng.normal(size=(80, 4))
    y = (x[:, 0] + 0.5 * x[:, 1] + rng.normal(scale=0.5, size=80) > 0).astype(int)
    return x, y


def _sk_round(values: Any, decimals: int = 8) -> Any:
    """Rounded, with -0.0 made 0.0 (the sign of a zero is solver noise, not behaviour)."""
    return np.round(np.asarray(values, dtype=float), decimals) + 0.0


def _sk_kmeans_summary(model: Any) -> Any:
    return {"inertia": round(float(model.inertia_), 6), "sizes": sorted(np.bincount(model.labels_).tolist())}


# --- estimator defaults ---------------------------------------------------------------------------


@case(
    "defaults",
    "KMeans(n_clusters=4, random_state=0) with the default n_init",
    {
        "1.3": "k-means++ draws its initial centres differently: another local optimum for the same "
        "random_state",
        "1.4": "n_init defaults to 'auto' (a single k-means++ run, was 10 runs; the FutureWarning "
        "announcing it is gone): another inertia and other cluster sizes",
    },
)
def sk_kmeans_default_n_init() -> Any:
    from sklearn.cluster import KMeans

    return _sk_kmeans_summary(KMeans(n_clusters=4, random_state=0).fit(_sk_blobs()))


@case(
    "defaults",
    "KMeans(n_clusters=4, n_init=10, random_state=0): inertia and cluster sizes",
    {"1.3": "k-means++ draws its initial centres differently: another local optimum even with n_init=10"},
)
def sk_kmeans_n_init_10() -> Any:
    from sklearn.cluster import KMeans

    return _sk_kmeans_summary(KMeans(n_clusters=4, n_init=10, random_state=0).fit(_sk_blobs()))


@case("defaults", "KMeans(n_clusters=3, n_init=10) on well-separated blobs (the same in every version)")
def sk_kmeans_separated() -> Any:
    from sklearn.cluster import KMeans

    return _sk_kmeans_summary(KMeans(n_clusters=3, n_init=10, random_state=0).fit(_sk_blobs()))


@case(
    "defaults",
    "LogisticRegression() probabilities (lbfgs, default tol)",
    {
        "1.4": "lbfgs minimises the loss scaled by 1/n_samples: it stops elsewhere within tol, so "
        "probabilities move in the 4th decimal"
    },
)
def sk_logistic_regression_proba() -> Any:
    from sklearn.linear_model import LogisticRegression

    x, y = _sk_binary()
    return _sk_round(LogisticRegression().fit(x, y).predict_proba(x[:4]))


@case(
    "defaults",
    "PCA(n_components=2) of tall data: the components",
    {
        "1.5": "the 'auto' solver picks 'covariance_eigh' for tall data (with a new sign convention): a "
        "component's sign flips"
    },
)
def sk_pca_auto_solver() -> Any:
    from sklearn.decomposition import PCA

    rng = np.random.RandomState(2)
    data = rng.normal(size=(1000, 5)) @ np.random.RandomState(3).normal(size=(5, 5))
    return _sk_round(PCA(n_components=2).fit(data).components_, 6)


@case("defaults", "PCA(svd_solver='full', n_components=2) variance ratios (the same in every version)")
def sk_pca_full_variance() -> Any:
    from sklearn.decomposition import PCA

    return _sk_round(PCA(n_components=2, svd_solver="full").fit(_sk_blobs()).explained_variance_ratio_)


@case(
    "defaults",
    "KBinsDiscretizer(n_bins=3, encode='ordinal'): the bin edges",
    {
        "1.7": "a FutureWarning: the default quantile_method will change",
        "1.9": "quantile_method defaults to 'averaged_inverted_cdf' (was 'linear'): other bin edges",
    },
)
def sk_kbins_quantile_edges() -> Any:
    from sklearn.preprocessing import KBinsDiscretizer

    x, _ = _sk_binary()
    return _sk_round(KBinsDiscretizer(n_bins=3, encode="ordinal").fit(x[:, :1]).bin_edges_[0], 6)


@case("defaults", "DecisionTreeClassifier(random_state=0) predictions (the same in every version)")
def sk_decision_tree_predict() -> Any:
    from sklearn.tree import DecisionTreeClassifier

    x, y = _sk_binary()
    return DecisionTreeClassifier(random_state=0).fit(x, y).predict(x[:20])


@case("defaults", "LinearRegression coefficients (the same in every version)")
def sk_linear_regression_coef() -> Any:
    from sklearn.linear_model import LinearRegression

    x, _ = _sk_binary()
    return _sk_round(LinearRegression().fit(x, x[:, 0] * 2 + x[:, 1] - 1).coef_, 6)


@case("defaults", "train_test_split(random_state=0) and KFold(shuffle=True) (the same in every version)")
def sk_split_streams() -> Any:
    from sklearn.model_selection import KFold, train_test_split

    train, test = train_test_split(np.arange(10), test_size=0.3, random_state=0)
    folds = [t for _, t in KFold(3, shuffle=True, random_state=0).split(np.arange(9))]
    return [train, test, folds]


# --- metrics ---------------------------------------------------------------------------------------


@case(
    "metrics",
    "roc_curve: the first threshold",
    {"1.3": "the first threshold is inf (was the highest score + 1)"},
)
def sk_roc_curve_thresholds() -> Any:
    from sklearn.metrics import roc_curve

    return roc_curve([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])[2]


@case("metrics", "accuracy_score: the type of the result", {"1.4": _SK_FLOAT})
def sk_accuracy_type() -> Any:
    from sklearn.metrics import accuracy_score

    return typed(accuracy_score([0, 1, 1], [0, 1, 0]))


@case("metrics", "r2_score: the type of the result", {"1.5": _SK_FLOAT})
def sk_r2_type() -> Any:
    from sklearn.metrics import r2_score

    return typed(r2_score([1.0, 2.0, 3.0], [1.5, 2.0, 2.0]))


@case("metrics", "f1_score and mean_squared_error: the types of the results", {"1.6": _SK_FLOAT})
def sk_f1_mse_type() -> Any:
    from sklearn.metrics import f1_score, mean_squared_error

    return [typed(f1_score([0, 1, 1], [0, 1, 0])), typed(mean_squared_error([1.0, 2.0], [1.5, 2.0]))]


@case("metrics", "roc_auc_score: the type of the result", {"1.7": _SK_FLOAT})
def sk_roc_auc_type() -> Any:
    from sklearn.metrics import roc_auc_score

    return typed(roc_auc_score([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]))


@case("metrics", "confusion_matrix (int64 counts in every version)")
def sk_confusion_matrix() -> Any:
    from sklearn.metrics import confusion_matrix

    return confusion_matrix([0, 1, 1, 0], [0, 1, 0, 0])


# --- preprocessing -------------------------------------------------------------------------------


@case(
    "preprocessing",
    "SimpleImputer(strategy='constant') on a column that is all NaN",
    {
        "1.6": "a FutureWarning: all-NaN columns will be dropped for strategy='constant' too",
        "1.8": "the all-NaN column is dropped: the output has one column fewer",
    },
)
def sk_simple_imputer_constant_all_nan() -> Any:
    from sklearn.impute import SimpleImputer

    data = np.array([[1.0, np.nan], [np.nan, np.nan], [3.0, np.nan]])
    return SimpleImputer(strategy="constant", fill_value=0.0).fit_transform(data)


@case(
    "preprocessing",
    "SimpleImputer(strategy='mean') on a column that is all NaN",
    {
        "1.3": "dropping the all-NaN column now warns (UserWarning: Skipping features without any "
        "observed values)"
    },
)
def sk_simple_imputer_mean_all_nan() -> Any:
    from sklearn.impute import SimpleImputer

    data = np.array([[1.0, np.nan], [np.nan, np.nan], [3.0, np.nan]])
    return SimpleImputer(strategy="mean").fit_transform(data)


@case(
    "preprocessing",
    "OneHotEncoder(sparse=False)",
    {"1.4": "sparse= is removed (TypeError): it was renamed sparse_output in 1.2"},
)
def sk_onehot_sparse_parameter() -> Any:
    from sklearn.preprocessing import OneHotEncoder

    return OneHotEncoder(sparse=False).fit_transform([["a"], ["b"], ["a"]])


@case("preprocessing", "OneHotEncoder(sparse_output=False, handle_unknown='ignore') (the same everywhere)")
def sk_onehot_dense_unknown() -> Any:
    from sklearn.preprocessing import OneHotEncoder

    encoder = OneHotEncoder(sparse_output=False, handle_unknown="ignore").fit([["a"], ["b"]])
    return [encoder.transform([["b"], ["c"]]), list(encoder.get_feature_names_out())]


@case("preprocessing", "StandardScaler on float64 data with a constant column (the same everywhere)")
def sk_standard_scaler() -> Any:
    from sklearn.preprocessing import StandardScaler

    return StandardScaler().fit_transform(np.array([[1.0, 5.0], [2.0, 5.0], [4.0, 5.0]]))


@case(
    "preprocessing",
    "StandardScaler on float32 data: every bit of the result",
    {"1.8": "StandardScaler was rewritten for the Array API: float32 results differ in the last bits"},
)
def sk_standard_scaler_float32() -> Any:
    from sklearn.preprocessing import StandardScaler

    scaled = StandardScaler().fit_transform(np.array([[1.0], [2.0], [4.0]], dtype=np.float32))
    return [str(scaled.dtype), [float(v).hex() for v in scaled.ravel()]]


@case("preprocessing", "MinMaxScaler and LabelEncoder (the same everywhere)")
def sk_minmax_label_encoder() -> Any:
    from sklearn.preprocessing import LabelEncoder, MinMaxScaler

    return [
        MinMaxScaler().fit_transform([[1.0], [3.0], [2.0]]),
        LabelEncoder().fit_transform(["b", "a", "b"]),
    ]


# --- removed parameters ----------------------------------------------------------------------------


@case(
    "removed",
    "LogisticRegression(penalty='none')",
    {"1.4": "penalty='none' is removed (InvalidParameterError): use penalty=None"},
)
def sk_logistic_penalty_none() -> Any:
    from sklearn.linear_model import LogisticRegression

    x, y = _sk_binary()
    return _sk_round(LogisticRegression(penalty="none").fit(x, y).coef_, 4)


@case(
    "removed",
    "LogisticRegression(multi_class='ovr') coefficients",
    {
        "1.4": "lbfgs minimises the loss scaled by 1/n_samples: other coefficients within tol",
        "1.5": "multi_class is deprecated (FutureWarning)",
        "1.8": "multi_class is removed (TypeError): wrap the model in OneVsRestClassifier",
    },
)
def sk_logistic_multi_class() -> Any:
    from sklearn.linear_model import LogisticRegression

    labels = np.repeat([0, 1, 2], 40)
    return _sk_round(LogisticRegression(multi_class="ovr").fit(_sk_blobs(), labels).coef_, 4)


@case(
    "removed",
    "mean_squared_error(squared=False)",
    {
        "1.4": "squared= is deprecated (FutureWarning): use root_mean_squared_error",
        "1.6": "squared= is removed (TypeError)",
    },
)
def sk_mse_squared_parameter() -> Any:
    from sklearn.metrics import mean_squared_error

    return float(mean_squared_error([1.0, 2.0], [1.5, 2.0], squared=False))


@case(
    "removed",
    "log_loss(eps=1e-15)",
    {"1.3": "eps= is deprecated (FutureWarning)", "1.5": "eps= is removed (TypeError)"},
)
def sk_log_loss_eps() -> Any:
    from sklearn.metrics import log_loss

    return float(log_loss([0, 1], [[0.9, 0.1], [0.2, 0.8]], eps=1e-15))


@case(
    "removed",
    "KMeans(algorithm='full')",
    {"1.4": "algorithm='full' is removed (InvalidParameterError): use 'lloyd'"},
)
def sk_kmeans_algorithm_full() -> Any:
    from sklearn.cluster import KMeans

    return _sk_kmeans_summary(
        KMeans(n_clusters=3, n_init=1, algorithm="full", random_state=0).fit(_sk_blobs())
    )


@case(
    "removed",
    "AgglomerativeClustering(affinity='euclidean')",
    {"1.4": "affinity= is removed (TypeError): use metric="},
)
def sk_agglomerative_affinity() -> Any:
    from sklearn.cluster import AgglomerativeClustering

    return AgglomerativeClustering(n_clusters=3, affinity="euclidean").fit(_sk_blobs()).labels_


@case(
    "removed",
    "SGDClassifier(loss='log')",
    {"1.3": "loss='log' is removed (InvalidParameterError): use 'log_loss'"},
)
def sk_sgd_loss_log() -> Any:
    from sklearn.linear_model import SGDClassifier

    x, y = _sk_binary()
    return SGDClassifier(loss="log", random_state=0).fit(x, y).predict(x[:5])


@case(
    "removed",
    "DecisionTreeClassifier(max_features='auto')",
    {"1.3": "max_features='auto' is removed (InvalidParameterError): use 'sqrt'"},
)
def sk_tree_max_features_auto() -> Any:
    from sklearn.tree import DecisionTreeClassifier

    x, y = _sk_binary()
    return DecisionTreeClassifier(max_features="auto", random_state=0).fit(x, y).predict(x[:5])
