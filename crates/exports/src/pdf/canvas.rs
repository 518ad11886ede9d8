//! The drawing side of the PDF: the embedded fonts, text measurement (shaped as krilla
//! shapes it, so right alignment is exact), a page as a list of operations, and painting
//! those operations with krilla.

use krilla::color::rgb;
use krilla::geom::{PathBuilder, Point, Size, Transform};
use krilla::image::Image;
use krilla::paint::{Fill, Stroke};
use krilla::surface::Surface;
use krilla::text::{Font, TextDirection};

use crate::{ExportError, ExportResult};

static REGULAR: &[u8] = include_bytes!("../../assets/DejaVuSans.ttf");
static BOLD: &[u8] = include_bytes!("../../assets/DejaVuSans-Bold.ttf");

const BODY: f32 = 8.5;

pub(super) struct Fonts {
    regular: Font,
    bold: Font,
    regular_face: rustybuzz::Face<'static>,
    bold_face: rustybuzz::Face<'static>,
}

impl Fonts {
    pub(super) fn load() -> ExportResult<Self> {
        let missing = || ExportError::Pdf("the embedded font could not be read".into());
        Ok(Self {
            regular: Font::new(REGULAR.into(), 0).ok_or_else(missing)?,
            bold: Font::new(BOLD.into(), 0).ok_or_else(missing)?,
            regular_face: rustybuzz::Face::from_slice(REGULAR, 0).ok_or_else(missing)?,
            bold_face: rustybuzz::Face::from_slice(BOLD, 0).ok_or_else(missing)?,
        })
    }

    /// The width of `text`, shaped as krilla shapes it (so right alignment is exact).
    fn width(&self, style: Style, text: &str) -> f32 {
        let face = if style.bold {
            &self.bold_face
        } else {
            &self.regular_face
        };
        let mut buffer = rustybuzz::UnicodeBuffer::new();
        buffer.push_str(text);
        buffer.guess_segment_properties();
        let shaped = rustybuzz::shape(face, &[], buffer);
        let units: i32 = shaped.glyph_positions().iter().map(|p| p.x_advance).sum();
        units as f32 / face.units_per_em() as f32 * style.size
    }
}

#[derive(Debug, Clone, Copy)]
pub(super) struct Style {
    bold: bool,
    size: f32,
    gray: bool,
}

pub(super) const TEXT: Style = Style {
    bold: false,
    size: BODY,
    gray: false,
};
pub(super) const MUTED: Style = Style {
    bold: false,
    size: BODY,
    gray: true,
};
pub(super) const STRONG: Style = Style {
    bold: true,
    size: BODY,
    gray: false,
};

pub(super) fn sized(bold: bool, size: f32) -> Style {
    Style {
        bold,
        size,
        gray: false,
    }
}

/// One drawing operation; a page is a list of them.
pub(super) enum Op {
    Text {
        x: f32,
        y: f32,
        style: Style,
        text: String,
    },
    Rule {
        x1: f32,
        x2: f32,
        y: f32,
    },
    Logo {
        x: f32,
        y: f32,
        w: f32,
        h: f32,
    },
}

/// Builds the operations of one page.
pub(super) struct Page<'a> {
    pub(super) fonts: &'a Fonts,
    pub(super) ops: Vec<Op>,
}

impl Page<'_> {
    pub(super) fn text(&mut self, x: f32, y: f32, style: Style, text: &str) {
        if !text.is_empty() {
            self.ops.push(Op::Text {
                x,
                y,
                style,
                text: text.to_owned(),
            });
        }
    }
    pub(super) fn right(&mut self, right: f32, y: f32, style: Style, text: &str) {
        let w = self.fonts.width(style, text);
        self.text(right - w, y, style, text);
    }
    pub(super) fn rule(&mut self, x1: f32, x2: f32, y: f32) {
        self.ops.push(Op::Rule { x1, x2, y });
    }
    /// `text` cut with an ellipsis to fit `max` points.
    pub(super) fn fit(&self, style: Style, text: &str, max: f32) -> String {
        if self.fonts.width(style, text) <= max {
            return text.to_owned();
        }
        let mut chars: Vec<char> = text.chars().collect();
        while !chars.is_empty() {
            chars.pop();
            let candidate: String = chars.iter().collect::<String>().trim_end().to_owned() + "…";
            if self.fonts.width(style, &candidate) <= max {
                return candidate;
            }
        }
        String::new()
    }
    /// `text` broken into lines of at most `max` points, at spaces.
    pub(super) fn wrap(&self, style: Style, text: &str, max: f32) -> Vec<String> {
        let mut lines = Vec::new();
        let mut current = String::new();
        for word in text.split_whitespace() {
            let candidate = if current.is_empty() {
                word.to_owned()
            } else {
                format!("{current} {word}")
            };
            if self.fonts.width(style, &candidate) > max && !current.is_empty() {
                lines.push(std::mem::replace(&mut current, word.to_owned()));
            } else {
                current = candidate;
            }
        }
        if !current.is_empty() {
            lines.push(current);
        }
        lines
    }
}

pub(super) fn paint(surface: &mut Surface<'_>, fonts: &Fonts, ops: &[Op], logo: Option<&Image>) {
    let black = Fill::default();
    let gray = Fill {
        paint: rgb::Color::new(96, 96, 96).into(),
        ..Fill::default()
    };
    for op in ops {
        match op {
            Op::Text { x, y, style, text } => {
                surface.set_fill(Some(if style.gray {
                    gray.clone()
                } else {
                    black.clone()
                }));
                let font = if style.bold {
                    fonts.bold.clone()
                } else {
                    fonts.regular.clone()
                };
                surface.draw_text(
                    Point::from_xy(*x, *y),
                    font,
                    style.size,
                    text,
                    false,
                    TextDirection::Auto,
                );
            }
            Op::Rule { x1, x2, y } => {
                let mut path = PathBuilder::new();
                path.move_to(*x1, *y);
                path.line_to(*x2, *y);
                if let Some(path) = path.finish() {
                    surface.set_fill(None);
                    surface.set_stroke(Some(Stroke {
                        paint: rgb::Color::new(160, 160, 160).into(),
                        width: 0.5,
                        ..Stroke::default()
                    }));
                    surface.draw_path(&path);
                    surface.set_stroke(None);
                }
            }
            Op::Logo { x, y, w, h } => {
                if let (Some(image), Some(size)) = (logo, Size::from_wh(*w, *h)) {
                    surface.push_transform(&Transform::from_translate(*x, *y));
                    surface.draw_image(image.clone(), size);
                    surface.pop();
                }
            }
        }
    }
}
