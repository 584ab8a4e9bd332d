//! Hash routes: `#/convolution`, `#/pooling`, … so a link opens a page directly and the
//! static server needs no rewrite rules.

use std::fmt;

/// One page of the app.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    /// The convolution lab (the default page).
    Convolution,
    /// Activations and pooling.
    Pooling,
    /// LeNet, AlexNet, VGG and ResNet layer by layer.
    Architectures,
    /// A live LeNet classifying the user's image.
    Classify,
    /// Training LeNet in the browser.
    Train,
}

impl Route {
    /// Every page, in navigation order.
    pub const ALL: [Route; 5] = [
        Route::Convolution,
        Route::Pooling,
        Route::Architectures,
        Route::Classify,
        Route::Train,
    ];

    /// The page a URL hash names; unknown or empty hashes open the convolution lab.
    pub fn from_hash(hash: &str) -> Route {
        let path = hash.trim_start_matches('#').trim_start_matches('/');
        let path = path.split(['?', '/']).next().unwrap_or_default();
        Route::ALL
            .into_iter()
            .find(|r| r.slug() == path)
            .unwrap_or(Route::Convolution)
    }

    /// The path segment of the page.
    pub fn slug(self) -> &'static str {
        match self {
            Route::Convolution => "convolution",
            Route::Pooling => "pooling",
            Route::Architectures => "architectures",
            Route::Classify => "classify",
            Route::Train => "train",
        }
    }

    /// The `href` that opens the page.
    pub fn href(self) -> String {
        format!("#/{}", self.slug())
    }

    /// The page's hash link with a query (`#/classify?model=trained`); a bare `#/page` for
    /// an empty query.
    pub fn href_with(self, query: &str) -> String {
        if query.is_empty() {
            self.href()
        } else {
            format!("{}?{query}", self.href())
        }
    }

    /// The page's name in the navigation.
    pub fn title(self) -> &'static str {
        match self {
            Route::Convolution => "Convolution",
            Route::Pooling => "Pooling & activations",
            Route::Architectures => "Architectures",
            Route::Classify => "Classify",
            Route::Train => "Train",
        }
    }
}

impl fmt::Display for Route {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.title())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_route_round_trips_through_its_href() {
        for route in Route::ALL {
            assert_eq!(Route::from_hash(&route.href()), route);
        }
    }

    #[test]
    fn a_query_joins_the_href_and_an_empty_one_leaves_it_bare() {
        assert_eq!(
            Route::Classify.href_with("model=trained"),
            "#/classify?model=trained"
        );
        assert_eq!(Route::Classify.href_with(""), "#/classify");
        assert_eq!(
            Route::from_hash(&Route::Train.href_with("a=1")),
            Route::Train
        );
    }

    #[test]
    fn unknown_and_empty_hashes_open_the_convolution_lab() {
        assert_eq!(Route::from_hash(""), Route::Convolution);
        assert_eq!(Route::from_hash("#"), Route::Convolution);
        assert_eq!(Route::from_hash("#/nope"), Route::Convolution);
    }

    #[test]
    fn sub_paths_and_queries_keep_their_page() {
        assert_eq!(Route::from_hash("#/train?epochs=3"), Route::Train);
        assert_eq!(
            Route::from_hash("#/architectures/vgg16"),
            Route::Architectures
        );
    }
}
