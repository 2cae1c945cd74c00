//! [`Module`] for the built-in predictors.

use dspy_adapters::Values;

use super::Module;
use crate::example::Prediction;
use crate::lm::BoxFuture;
use crate::predict::{ChainOfThought, Predict};
use crate::Error;

impl Module for Predict {
    fn forward(&self, inputs: Values) -> BoxFuture<'_, Result<Prediction, Error>> {
        Box::pin(Predict::forward(self, inputs))
    }

    fn named_predictors(&self) -> Vec<(String, &Predict)> {
        vec![("self".to_string(), self)]
    }

    fn named_predictors_mut(&mut self) -> Vec<(String, &mut Predict)> {
        vec![("self".to_string(), self)]
    }
}

impl Module for ChainOfThought {
    fn forward(&self, inputs: Values) -> BoxFuture<'_, Result<Prediction, Error>> {
        Box::pin(self.predict().forward(inputs))
    }

    fn named_predictors(&self) -> Vec<(String, &Predict)> {
        vec![("predict".to_string(), self.predict())]
    }

    fn named_predictors_mut(&mut self) -> Vec<(String, &mut Predict)> {
        vec![("predict".to_string(), self.predict_mut())]
    }
}
