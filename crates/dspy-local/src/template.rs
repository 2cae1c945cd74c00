//! Chat templates (`tokenizer.chat_template`) rendered with minijinja.

use minijinja::{context, Environment, Error, ErrorKind};
use serde_json::json;

use dspy_adapters::Message;

use crate::error::LocalError;

/// ChatML, used when a model ships no template.
pub const CHATML: &str = "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n' }}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}";

/// A parsed chat template.
#[derive(Debug)]
pub struct ChatTemplate {
    env: Environment<'static>,
    bos: String,
    eos: String,
}

const NAME: &str = "chat";

fn raise_exception(message: String) -> Result<String, Error> {
    Err(Error::new(ErrorKind::InvalidOperation, message))
}

impl ChatTemplate {
    /// Parses `source` (a Hugging Face style Jinja chat template).
    pub fn new(source: &str, bos: &str, eos: &str) -> Result<ChatTemplate, LocalError> {
        let mut env = Environment::new();
        env.add_function("raise_exception", raise_exception);
        env.add_template_owned(NAME, source.to_string())
            .map_err(|e| LocalError::Template {
                message: e.to_string(),
            })?;
        Ok(ChatTemplate {
            env,
            bos: bos.to_string(),
            eos: eos.to_string(),
        })
    }

    /// Renders `messages` followed by the opening of the assistant's turn.
    pub fn render(&self, messages: &[Message]) -> Result<String, LocalError> {
        let err = |e: Error| LocalError::Template {
            message: e.to_string(),
        };
        let messages: Vec<serde_json::Value> = messages
            .iter()
            .map(|m| json!({ "role": m.role.as_str(), "content": m.content }))
            .collect();
        let template = self.env.get_template(NAME).map_err(err)?;
        template
            .render(context! {
                messages => messages,
                add_generation_prompt => true,
                bos_token => self.bos,
                eos_token => self.eos,
            })
            .map_err(err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// SmolLM2-135M-Instruct's template, as its GGUF stores it.
    pub(crate) const SMOLLM2: &str = "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}{{ '<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n' }}{% endif %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}";

    #[test]
    fn renders_smollm2_chatml() {
        let t = ChatTemplate::new(SMOLLM2, "<|im_start|>", "<|im_end|>").expect("parses");
        let out = t
            .render(&[Message::system("Be brief."), Message::user("Hi")])
            .expect("renders");
        assert_eq!(
            out,
            "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n"
        );
        let out = t.render(&[Message::user("Hi")]).expect("renders");
        assert!(out.starts_with("<|im_start|>system\nYou are a helpful AI assistant named SmolLM"));
        assert!(out.ends_with("<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n"));
    }

    #[test]
    fn content_is_not_interpreted_as_template() {
        let t = ChatTemplate::new(CHATML, "", "").expect("parses");
        let out = t
            .render(&[Message::user("{{ 1 + 1 }} {% raw %}")])
            .expect("renders");
        assert!(out.contains("{{ 1 + 1 }} {% raw %}"));
    }

    #[test]
    fn errors_are_typed() {
        assert!(matches!(
            ChatTemplate::new("{% for %}", "", ""),
            Err(LocalError::Template { .. })
        ));
        let t =
            ChatTemplate::new("{{ raise_exception('no system role') }}", "", "").expect("parses");
        let e = t.render(&[]).expect_err("raises");
        assert!(e.to_string().contains("no system role"), "{e}");
    }
}
